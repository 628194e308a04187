package io.pledge.lock.it;

import io.pledge.testkit.JvmProcess;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockClient.Request;
import io.pledge.lock.client.LockException;
import io.pledge.lock.client.LockHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.Map;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Three members, each in its own network namespace. Member 3's link to the others is cut: once its failure detector
 * drops them, it refuses grants and renewals (no quorum) while the majority side keeps granting, with higher tokens.
 * After the link is restored the cluster merges and member 3 serves again.
 */
class PartitionIT {

  private static final int PORT = 5941;
  private static final Duration LEASE = Duration.ofSeconds(2);

  @Test
  void minoritySideRefusesGrantsAndRenewals() throws Exception {
    assumeTrue(Netns.available(), "needs root and ip netns");
    List<JvmProcess> members = new ArrayList<>();
    List<LockClient> clients = new ArrayList<>();
    try (Netns net = Netns.create(3)) {
      String memberList = IntStream.rangeClosed(1, 3).mapToObj(i -> Netns.CLUSTER_NET + (10 + i) + ":" + PORT)
          .collect(Collectors.joining(","));
      for (int i = 1; i <= 3; i++) {
        members.add(JvmProcess.start("member-" + i, net.exec(i), ChildMember.class.getName(), List.of("--grpc.host=0.0.0.0", "--grpc.port=0",
            "--ops.host=127.0.0.1", "--ops.port=0", "--hazelcast.host=" + Netns.CLUSTER_NET + (10 + i),
            "--hazelcast.port=" + PORT, "--hazelcast.members=" + memberList, "--cluster.quorum=2",
            "--hazelcast.cluster-name=pledge-partition", "--hazelcast.heartbeat-timeout=4s",
            "--lock.max-lease=2s", "--lock.delay-margin=1s"), Map.of(), Path.of(".")));
      }
      for (int i = 0; i < 3; i++) {
        JvmProcess m = members.get(i);
        await().atMost(Duration.ofSeconds(90)).until(() -> m.firstLine("READY ") != null || !m.isAlive());
        assertTrue(m.isAlive(), () -> "member died: " + m.lines());
        int grpcPort = Integer.parseInt(m.firstLine("READY ").substring(6).trim());
        clients.add(LockClient.create(new Endpoint(Netns.CLIENT_NET + (11 + i), grpcPort)));
      }
      LockClient majority = clients.get(0);
      LockClient minority = clients.get(2);
      // Everyone serves before the cut (the first grants may wait out the start-up lock-delay).
      LockHandle before = minority.acquireBlocking(Request.exclusive("p-held", "early", LEASE)
          .waitingUpTo(Duration.ofSeconds(20)));

      net.cluster(3, false);
      await().atMost(Duration.ofSeconds(60)).until(() -> refusedForQuorum(minority, "p-probe"));
      for (String lock : List.of("p-a", "p-b", "p-c", "p-d")) {
        LockException e = assertThrowsLock(() -> minority.tryAcquireBlocking(Request.exclusive(lock, "minor", LEASE)));
        assertInstanceOf(LockException.Unavailable.class, e, e.getMessage());
        assertTrue(e.getMessage().contains("NO_QUORUM"), e.getMessage());
      }
      LockException renew = assertThrowsLock(() -> LockServiceIT.join(minority.renew("p-held", "early",
          before.token(), LEASE)));
      assertInstanceOf(LockException.Unavailable.class, renew, renew.getMessage());

      // The majority grants (after the lock-delay for partitions that moved), above the token granted before.
      LockHandle after = majority.acquireBlocking(Request.exclusive("p-held", "late", LEASE)
          .waitingUpTo(Duration.ofSeconds(30)));
      assertTrue(after.token() > before.token());
      after.close();

      net.cluster(3, true);
      await().atMost(Duration.ofSeconds(90)).until(() -> grants(minority, "p-after-heal"));
      assertEquals(0, LockServiceIT.join(majority.inspect("p-a")).getHoldersCount(), "the minority granted nothing");
    } finally {
      for (LockClient c : clients) {
        c.close();
      }
      for (JvmProcess m : members) {
        m.kill();
      }
    }
  }

  private static boolean refusedForQuorum(LockClient client, String lock) {
    try {
      client.tryAcquireBlocking(Request.exclusive(lock, "probe", LEASE)).close();
      return false;
    } catch (LockException e) {
      return e instanceof LockException.Unavailable && e.getMessage().contains("NO_QUORUM");
    }
  }

  private static boolean grants(LockClient client, String lock) {
    try {
      client.tryAcquireBlocking(Request.exclusive(lock, "healed", LEASE)).close();
      return true;
    } catch (LockException e) {
      return false;
    }
  }

  private static LockException assertThrowsLock(Runnable r) {
    try {
      r.run();
    } catch (LockException e) {
      return e;
    }
    throw new AssertionError("expected a LockException");
  }
}
