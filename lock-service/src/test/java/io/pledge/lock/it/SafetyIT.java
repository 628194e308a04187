package io.pledge.lock.it;

import io.pledge.testkit.JvmProcess;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockException;
import io.pledge.lock.client.LockHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Many clients contend for a few locks on a 3-member cluster (child JVMs) while members are killed with SIGKILL and
 * restarted. Every grant is recorded; the checker asserts that no two grants of a lock were in force at the same time
 * (each grant counts from its delivery to the earlier of its release and its lease end), that a fenced resource never
 * saw an older token after a newer one, and that a grant requested after another was delivered has a higher token.
 */
class SafetyIT {

  private static final List<Integer> PORTS = List.of(5921, 5922, 5923);
  private static final int LOCKS = 3;
  private static final int WORKERS = 8;
  private static final Duration LEASE = Duration.ofMillis(1500);

  record Grant(String lock, String owner, long token, long requestedAt, long grantedAt, long leaseEnd, long doneAt) {}

  /** The resource the locks protect: it keeps the highest token per lock and logs what it accepted. */
  static final class FencedResource {
    private final Map<String, Long> highest = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    int accepted;
    int rejected;

    synchronized boolean write(String lock, long token) {
      long seen = highest.getOrDefault(lock, 0L);
      if (token < seen) {
        rejected++;
        return false;
      }
      highest.put(lock, token);
      accepted++;
      return true;
    }
  }

  private final AtomicReferenceArray<LockClient> clients = new AtomicReferenceArray<>(PORTS.size());
  private final List<JvmProcess> members = new ArrayList<>();
  private final List<Grant> grants = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final FencedResource resource = new FencedResource();
  /** Grants whose writes the resource refused: was the lease over at delivery (leaseEnd before grantedAt)? */
  private final List<Grant> fencedOut = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);

  @Test
  void noOverlappingHoldersAndGrowingTokensWhileMembersCrash() throws Exception {
    try {
      for (int i = 0; i < PORTS.size(); i++) {
        members.add(null);
        startMember(i);
      }
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        int id = w;
        Thread t = new Thread(() -> work(id), "safety-worker-" + w);
        t.start();
        workers.add(t);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> grants.size() >= 40);
      for (int round = 0; round < 3; round++) {
        int victim = round % PORTS.size();
        members.get(victim).kill();
        clients.getAndSet(victim, null).close();
        int before = grants.size();
        await().atMost(Duration.ofSeconds(60)).until(() -> grants.size() >= before + 20);
        startMember(victim);
        int after = grants.size();
        await().atMost(Duration.ofSeconds(60)).until(() -> grants.size() >= after + 20);
      }
      running.set(false);
      for (Thread t : workers) {
        t.join(30_000);
      }
      check();
    } finally {
      running.set(false);
      for (JvmProcess m : members) {
        if (m != null) {
          m.kill();
        }
      }
      for (int i = 0; i < clients.length(); i++) {
        LockClient c = clients.get(i);
        if (c != null) {
          c.close();
        }
      }
    }
  }

  private void startMember(int i) throws Exception {
    int port = PORTS.get(i);
    List<String> args = new ArrayList<>();
    Servers.memberSettings(port, PORTS, Map.of("cluster.quorum", "2", "lock.max-lease", "2s",
        "lock.delay-margin", "1s", "hazelcast.heartbeat-timeout", "5s", "hazelcast.cluster-name", "pledge-safety"))
        .forEach((k, v) -> args.add("--" + k + "=" + v));
    JvmProcess m = JvmProcess.start("member", ChildMember.class.getName(), args, Map.of(), Path.of("."));
    members.set(i, m);
    await().atMost(Duration.ofSeconds(90)).until(() -> m.firstLine("READY ") != null || !m.isAlive());
    assertTrue(m.isAlive(), () -> "member died: " + m.lines());
    int grpcPort = Integer.parseInt(m.firstLine("READY ").substring(6).trim());
    clients.set(i, LockClient.create(new Endpoint("127.0.0.1", grpcPort)));
  }

  private void work(int id) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    int seq = 0;
    while (running.get()) {
      String lock = "safe-" + rnd.nextInt(LOCKS);
      String owner = "w" + id + "-" + (seq++);
      LockClient client = clients.get(rnd.nextInt(PORTS.size()));
      if (client == null) {
        continue;
      }
      long requestedAt = System.currentTimeMillis();
      try {
        LockHandle h = client.acquireBlocking(LockClient.Request.exclusive(lock, owner, LEASE)
            .waitingUpTo(Duration.ofSeconds(3)));
        long grantedAt = System.currentTimeMillis();
        boolean ok = resource.write(lock, h.token());
        LockSupport.parkNanos(rnd.nextInt(2, 15) * 1_000_000L); // the critical section's work
        ok &= resource.write(lock, h.token());
        long doneAt = System.currentTimeMillis();
        Grant grant = new Grant(lock, owner, h.token(), requestedAt, grantedAt, h.leaseExpiresAtMs(), doneAt);
        grants.add(grant);
        if (!ok) {
          failures.merge("fenced-out", 1, Integer::sum);
          fencedOut.add(grant);
        }
        h.release().onFailure(e -> failures.merge("release:" + e.getClass().getSimpleName(), 1, Integer::sum));
      } catch (LockException e) {
        failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
      } catch (RuntimeException e) {
        failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
      }
    }
  }

  private void check() {
    Map<String, List<Grant>> byLock = grants.stream().collect(Collectors.groupingBy(Grant::lock));
    int checkedPairs = 0;
    for (List<Grant> list : byLock.values()) {
      for (int i = 0; i < list.size(); i++) {
        Grant a = list.get(i);
        for (int j = i + 1; j < list.size(); j++) {
          Grant b = list.get(j);
          checkedPairs++;
          assertTrue(a.token() != b.token(), "token " + a.token() + " granted twice: " + a + " " + b);
          long aEnd = Math.min(a.doneAt(), a.leaseEnd());
          long bEnd = Math.min(b.doneAt(), b.leaseEnd());
          boolean overlap = a.grantedAt() < bEnd && b.grantedAt() < aEnd;
          assertTrue(!overlap, "two holders in force at once: " + a + " and " + b);
          if (b.requestedAt() > a.grantedAt()) {
            assertTrue(b.token() > a.token(), "token went backwards: " + a + " then " + b);
          }
          if (a.requestedAt() > b.grantedAt()) {
            assertTrue(a.token() > b.token(), "token went backwards: " + b + " then " + a);
          }
        }
      }
    }
    System.out.printf("safety: %d grants, %d pairs checked, resource accepted %d rejected %d, failures %s%n",
        grants.size(), checkedPairs, resource.accepted, resource.rejected, failures);
    assertEquals(0, resource.rejected, "the fenced resource saw a stale token; refused grants " + fencedOut);
    assertTrue(grants.size() >= 100, "too few grants: " + grants.size());
  }
}
