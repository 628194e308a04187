package io.pledge.lock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockException;
import io.pledge.lock.client.LockHandle;
import io.pledge.testkit.JvmProcess;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 4: three member JVMs, clients on each acquiring exclusive locks; one member is frozen with SIGSTOP for
 * longer than heartbeat-timeout + max-lease + lock-delay margin (the others remove it, take its partitions over and,
 * after the lock-delay, grant its locks), then woken while its clients' requests are queued at it. The member must
 * not grant or renew from its stale view: no two grants of a lock may have overlapping unexpired leases (each counted
 * from its start on the granting member to the earlier of its release and its lease end), and tokens must follow
 * the grants' order.
 */
class PausedMemberIT {

  private static final List<Integer> PORTS = List.of(5941, 5942, 5943);
  private static final int LOCKS = 12;
  /** Locks taken during the freeze by the majority and kept until the end. */
  private static final int KEPT = 24;
  private static final int WORKERS_PER_MEMBER = 6;
  private static final Duration LEASE = Duration.ofSeconds(2);
  /** Past heartbeat-timeout (4 s) + max-lease (2 s) + delay-margin (1 s). */
  private static final Duration FREEZE = Duration.ofSeconds(10);

  /** One grant as the client saw it; times are the host's wall clock, which the members share. */
  record Grant(String lock, long token, int member, long start, long end) {}

  private final List<JvmProcess> members = new ArrayList<>();
  private final List<LockClient> clients = new ArrayList<>();
  private final List<Grant> grants = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, Long> keptSince = new ConcurrentHashMap<>();
  private final Map<String, Long> keptUntil = new ConcurrentHashMap<>();
  /** The last member's endpoint: the one frozen. */
  private Endpoint victimEndpoint;

  @Test
  void aMemberWokenFromAPausePastTheBoundGrantsNothingOthersHold() throws Exception {
    List<Thread> workers = new ArrayList<>();
    try {
      for (int i = 0; i < PORTS.size(); i++) {
        startMember(i);
      }
      for (int m = 0; m < PORTS.size(); m++) {
        for (int w = 0; w < WORKERS_PER_MEMBER; w++) {
          int member = m;
          int id = w;
          Thread t = new Thread(() -> work(member, id), "paused-worker-" + m + "-" + w);
          t.start();
          workers.add(t);
        }
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> grants.size() >= 60);
      JvmProcess victim = members.get(2);
      // A client with a connection open to the victim, to send it a burst while it sleeps.
      LockClient burst = LockClient.create(victimEndpoint);
      clients.add(burst);
      LockServiceIT.join(burst.inspect("paused-0"));
      signal("STOP", victim.pid());
      long frozenAt = System.nanoTime();
      // Keepers on a majority member take locks nobody touched before the pause and keep them (renewing): those on
      // the victim's partitions are granted once the others have taken its partitions over and the lock-delay passed.
      // They start once the victim has been removed (heartbeat timeout 4 s), so that no answer waits for a backup
      // on the frozen member (a grant answered after its lease would be lost at once).
      await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - frozenAt > 5_000_000_000L);
      List<Future<LockHandle>> kept = new ArrayList<>();
      for (int k = 0; k < KEPT; k++) {
        kept.add(clients.get(0).acquire(LockClient.Request.exclusive("kept-" + k, "keeper-" + k, LEASE)
            .waitingUpTo(FREEZE.minusSeconds(5)).autoRenew((h, e) -> {
              failures.merge("keeper-lost:" + e.getClass().getSimpleName(), 1, Integer::sum);
              keptUntil.put(h.lock(), h.leaseExpiresAtMs()); // its right ended with the last lease it was told
            }))
            .onSuccess(h -> keptSince.put(h.lock(), h.leaseExpiresAtMs() - LEASE.toMillis())));
      }
      int before = grants.size();
      await().atMost(FREEZE.plusSeconds(5)).until(() -> System.nanoTime() - frozenAt > FREEZE.toNanos());
      int duringFreeze = grants.size() - before;
      // Queued at the victim when it wakes: it would answer them first, from what it believed before the pause.
      for (int k = 0; k < LOCKS + KEPT; k++) {
        String lock = k < LOCKS ? "paused-" + k : "kept-" + (k - LOCKS);
        burst.tryAcquire(LockClient.Request.exclusive(lock, "burst-" + k, LEASE)).onSuccess(h -> grants.add(
            new Grant(lock, h.token(), 2, h.leaseExpiresAtMs() - LEASE.toMillis(), h.leaseExpiresAtMs())));
      }
      signal("CONT", victim.pid());
      long wokenAt = System.currentTimeMillis();
      // Load goes on: the woken member's clients had requests queued at it, and keep sending.
      await().atMost(Duration.ofSeconds(20)).until(() -> System.currentTimeMillis() > wokenAt + 8_000);
      running.set(false);
      for (Thread t : workers) {
        t.join(15_000);
      }
      int keptCount = 0;
      for (Future<LockHandle> f : kept) {
        if (f.succeeded()) {
          LockHandle h = f.result();
          long end = System.currentTimeMillis();
          grants.add(new Grant(h.lock(), h.token(), 0, keptSince.get(h.lock()), keptUntil.getOrDefault(h.lock(), end)));
          h.release();
          keptCount++;
        }
      }
      System.out.printf("paused: %d of %d kept locks held by the majority through the wake%n", keptCount, KEPT);
      long fromVictimAfterWake = grants.stream().filter(g -> g.member() == 2 && g.start() >= wokenAt).count();
      System.out.printf("paused: %d grants (%d during the freeze, %d by the woken member after it woke),"
          + " failures %s%n", grants.size(), duringFreeze, fromVictimAfterWake, failures);
      grants.stream().filter(g -> g.member() == 2 && g.start() >= wokenAt - 2_000).sorted(Comparator.comparingLong(
          Grant::start)).forEach(g -> System.out.printf("woken member's grant at %+d ms: %s%n", g.start() - wokenAt, g));
      for (int i = 0; i < members.size(); i++) {
        java.nio.file.Files.write(Path.of("target", "paused-member-" + i + ".log"), members.get(i).lines());
      }
      assertTrue(duringFreeze >= 3, "the majority kept granting during the freeze: " + duringFreeze);
      check();
    } finally {
      running.set(false);
      for (JvmProcess m : members) {
        signal("CONT", m.pid());
        m.kill();
      }
      clients.forEach(LockClient::close);
    }
  }

  private void startMember(int i) {
    List<String> args = new ArrayList<>();
    Servers.memberSettings(PORTS.get(i), PORTS, Map.of("cluster.quorum", "2", "lock.max-lease", "2s",
        "lock.delay-margin", "1s", "hazelcast.heartbeat-timeout", "4s", "hazelcast.cluster-name", "pledge-paused",
        "lock.delay-on-start", "false")).forEach((k, v) -> args.add("--" + k + "=" + v));
    JvmProcess m = JvmProcess.start("member-" + i, ChildMember.class.getName(), args, Map.of(), Path.of("."));
    members.add(m);
    String ready = m.awaitLine(l -> l.startsWith("READY "), Duration.ofSeconds(90));
    victimEndpoint = new Endpoint("127.0.0.1", Integer.parseInt(ready.substring(6).trim()));
    clients.add(LockClient.create(victimEndpoint));
  }

  private void work(int member, int id) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    LockClient client = clients.get(member);
    int seq = 0;
    while (running.get()) {
      String lock = "paused-" + rnd.nextInt(LOCKS);
      try {
        LockHandle h = client.acquireBlocking(LockClient.Request.exclusive(lock, "m" + member + "w" + id + "-" + seq++,
            LEASE).waitingUpTo(Duration.ofSeconds(2)));
        long start = h.leaseExpiresAtMs() - LEASE.toMillis();
        // Hold most of the lease, so that a stale grant elsewhere would overlap a live one.
        LockSupport.parkNanos(rnd.nextLong(800, 1900) * 1_000_000L);
        long releasedAt = System.currentTimeMillis();
        grants.add(new Grant(lock, h.token(), member, start, Math.min(releasedAt, h.leaseExpiresAtMs())));
        h.release().onFailure(e -> failures.merge("release:" + e.getClass().getSimpleName(), 1, Integer::sum));
      } catch (LockException e) {
        failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
        if (e instanceof LockException.Unavailable) {
          LockSupport.parkNanos(50_000_000L); // a member without quorum or authority answers at once: do not spin
        }
      } catch (RuntimeException e) {
        failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
      }
    }
  }

  private void check() {
    Map<String, List<Grant>> byLock = grants.stream().collect(Collectors.groupingBy(Grant::lock));
    List<String> overlaps = new ArrayList<>();
    List<String> outOfOrder = new ArrayList<>();
    for (List<Grant> list : byLock.values()) {
      List<Grant> sorted = new ArrayList<>(list);
      sorted.sort(Comparator.comparingLong(Grant::start));
      for (int i = 0; i < sorted.size(); i++) {
        for (int j = i + 1; j < sorted.size(); j++) {
          Grant a = sorted.get(i);
          Grant b = sorted.get(j);
          if (b.start() >= a.end()) {
            if (b.token() <= a.token()) {
              outOfOrder.add(a + " then " + b);
            }
            continue;
          }
          overlaps.add(a + " and " + b + " (" + (Math.min(a.end(), b.end()) - b.start()) + " ms)");
        }
      }
    }
    System.out.printf("paused: %d overlapping pairs, %d out-of-order pairs%n", overlaps.size(), outOfOrder.size());
    overlaps.stream().limit(10).forEach(o -> System.out.println("overlap: " + o));
    assertEquals(List.of(), overlaps, "grants with overlapping unexpired leases");
    assertEquals(List.of(), outOfOrder, "tokens out of grant order");
  }

  private static void signal(String signal, long pid) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
