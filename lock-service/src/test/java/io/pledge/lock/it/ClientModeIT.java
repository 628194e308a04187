package io.pledge.lock.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockHandle;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A server in --hazelcast-client mode serves against embedded members, and waits hand over across both servers. */
class ClientModeIT {

  @Test
  void clientModeServerServesAndSharesTheTable() throws Exception {
    try (LockServer member = Servers.start(Servers.memberSettings(5911, List.of(5911), Map.of()))) {
      Map<String, String> clientSettings = new HashMap<>(Servers.memberSettings(5912, List.of(5911), Map.of()));
      clientSettings.put("hazelcast.client", "true");
      try (LockServer viaClient = Servers.start(clientSettings);
          LockClient onClientServer = LockClient.create(new Endpoint("127.0.0.1", viaClient.grpcPort()));
          LockClient onMember = LockClient.create(new Endpoint("127.0.0.1", member.grpcPort()))) {
        LockHandle h = onClientServer.acquireBlocking(LockClient.Request.exclusive("cm", "c1", Duration.ofSeconds(10)));
        var waiting = onMember.acquire(LockClient.Request.exclusive("cm", "c2", Duration.ofSeconds(10))
            .waitingUpTo(Duration.ofSeconds(20)));
        org.awaitility.Awaitility.await().until(() -> LockServiceIT.join(onClientServer.inspect("cm"))
            .getWaitersCount() == 1);
        assertFalse(waiting.isComplete());
        h.close();
        LockHandle h2 = LockServiceIT.join(waiting);
        assertEquals("c2", h2.owner());
        assertTrue(h2.token() > h.token());
        var back = onClientServer.acquire(LockClient.Request.exclusive("cm", "c1", Duration.ofSeconds(10))
            .waitingUpTo(Duration.ofSeconds(20)));
        org.awaitility.Awaitility.await().until(() -> LockServiceIT.join(onMember.inspect("cm"))
            .getWaitersCount() == 1);
        h2.close();
        assertEquals("c1", LockServiceIT.join(back).owner(), "a waiter on the client-mode server is woken too");
      }
    }
  }
}
