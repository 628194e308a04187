package io.pledge.lock.it;

import io.pledge.testkit.JvmProcess;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockHandle;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A client JVM holding a lock is killed with SIGKILL: the next waiter gets it when the lease ends, not before. */
class ClientCrashIT {

  // Long enough that a holder JVM starved of CPU on a loaded machine still renews before the kill.
  private static final long LEASE_MS = 6_000;

  @Test
  void lockOfKilledClientGoesToNextWaiterAfterLease() throws Exception {
    try (LockServer server = Servers.start(Servers.memberSettings(5931, List.of(5931), Map.of("lock.max-lease", "10s")));
        LockClient client = LockClient.create(new Endpoint("127.0.0.1", server.grpcPort()))) {
      JvmProcess holder = JvmProcess.start("holder", ChildHolder.class.getName(), List.of("127.0.0.1:" + server.grpcPort(), "crash-lock",
          "doomed-session", Long.toString(LEASE_MS)), Map.of(), Path.of("."));
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> holder.firstLine("HELD ") != null || !holder.isAlive());
        assertTrue(holder.isAlive(), () -> "holder died: " + holder.lines());
        long heldToken = Long.parseLong(holder.firstLine("HELD ").substring(5).trim());
        // Let one auto-renewal happen, so that "after the lease" means the renewed one.
        long firstExpiry = LockServiceIT.join(client.inspect("crash-lock")).getHolders(0).getLeaseExpiresAtMs();
        await().atMost(Duration.ofSeconds(10)).until(() -> LockServiceIT.join(client.inspect("crash-lock"))
            .getHolders(0).getLeaseExpiresAtMs() > firstExpiry);

        AtomicLong grantedAt = new AtomicLong();
        var next = client.acquire(LockClient.Request.exclusive("crash-lock", "next-session", Duration.ofSeconds(5))
            .waitingUpTo(Duration.ofSeconds(30))).onSuccess(h -> grantedAt.set(System.currentTimeMillis()));
        await().until(() -> LockServiceIT.join(client.inspect("crash-lock")).getWaitersCount() == 1);

        holder.kill();
        long killedAt = System.currentTimeMillis();
        var state = LockServiceIT.join(client.inspect("crash-lock"));
        assertEquals("doomed-session", state.getHolders(0).getOwner(), "a dead client's lease still stands");
        long leaseEnd = state.getHolders(0).getLeaseExpiresAtMs();
        assertTrue(leaseEnd > killedAt, "the lease outlives the kill");

        LockHandle h = LockServiceIT.join(next);
        assertTrue(grantedAt.get() >= leaseEnd, "granted at " + grantedAt.get() + ", before the lease end " + leaseEnd);
        assertTrue(h.token() > heldToken);
        assertFalse(holder.isAlive());
        h.close();
      } finally {
        holder.kill();
      }
    }
  }
}
