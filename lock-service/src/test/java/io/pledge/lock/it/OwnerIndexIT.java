package io.pledge.lock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockClient.Request;
import io.pledge.lock.client.LockHandle;
import io.pledge.lock.hazelcast.HazelcastLockStore;
import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.OwnerLocks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: ReleaseAll finds an owner's locks through the owner index (the {@code pledge-lock-owners} map), a lookup,
 * not a query over every lock; the index survives the loss of a member as the locks do, and leaves nothing behind for
 * an owner whose locks ended (released, released all, or their leases run out), on a 3-member cluster.
 */
class OwnerIndexIT {

  private static final Duration LEASE = Duration.ofSeconds(3);
  /** Short: the lock-delay (max lease plus margin) holds the first grants back while the members join. */
  private static final Map<String, String> SETTINGS = Map.of("cluster.quorum", "2", "lock.max-lease", "3s",
      "lock.delay-margin", "300ms");
  /**
   * Hazelcast drops an expired entry at once for a reader, and from memory in a background task every 5 s (a share of
   * each partition per run): once a second here, so that the check that nothing stays in memory waits less.
   */
  private static final String EXPIRY_PERIOD = "hazelcast.internal.map.expiration.task.period.seconds";

  @BeforeAll
  static void expireOften() {
    System.setProperty(EXPIRY_PERIOD, "1");
  }

  @AfterAll
  static void expireAsUsual() {
    System.clearProperty(EXPIRY_PERIOD);
  }

  @Test
  void releaseAllLooksUpTheOwnersLocksWithoutScanningTheOthers() throws Exception {
    List<LockServer> servers = Servers.cluster(5971, 3, SETTINGS);
    LockClient a = LockClient.create(new Endpoint("127.0.0.1", servers.get(0).grpcPort()));
    LockClient b = LockClient.create(new Endpoint("127.0.0.1", servers.get(1).grpcPort()));
    try {
      // Thousands of locks of other owners, written straight into the map: a scan would have to look at each.
      IMap<String, LockState> locks = servers.get(0).hazelcast().getMap(HazelcastLockStore.LOCKS_MAP);
      long expires = System.currentTimeMillis() + 60_000;
      Map<String, LockState> others = new HashMap<>();
      for (int i = 0; i < 3_000; i++) {
        String name = "other-" + i;
        others.put(name, new LockState(name, List.of(new Holder("owner-" + i, LockMode.EXCLUSIVE, i + 1, 1, expires,
            "g" + i)), List.of(), i + 1, 0, 1, "", List.of()));
      }
      locks.putAll(others);
      // The owner holds three locks (one twice), through two servers, and waits for one another holds.
      a.acquireBlocking(Request.exclusive("mine-1", "tx-7", LEASE));
      a.acquireBlocking(Request.exclusive("mine-1", "tx-7", LEASE));
      b.acquireBlocking(Request.exclusive("mine-2", "tx-7", LEASE).shared());
      a.acquireBlocking(Request.exclusive("mine-3", "tx-7", LEASE));
      a.acquireBlocking(Request.exclusive("busy", "tx-8", LEASE));
      Future<LockHandle> waiting = b.acquire(Request.exclusive("busy", "tx-7", LEASE)
          .waitingUpTo(Duration.ofSeconds(20)));
      await().until(() -> join(a.inspect("busy")).getWaitersCount() == 1);
      assertEquals(Set.of("mine-1", "mine-2", "mine-3", "busy"), Set.copyOf(indexed(servers.get(2), "tx-7")));

      // (Scraping /metrics queries the member's own keys for the holder gauges: not between the two counts.)
      double scannedBefore = metric(servers.get(0), "pledge_lock_release_all_scanned_total");
      long queriesBefore = lockQueries(servers);
      var released = join(a.releaseAll("tx-7"));
      long queriesAfter = lockQueries(servers);

      assertEquals(Set.of("mine-1", "mine-2", "mine-3"), Set.copyOf(released.getReleasedList()));
      assertEquals(1, released.getCancelledWaits());
      assertEquals(queriesBefore, queriesAfter, "ReleaseAll queried the lock map");
      assertEquals(4.0, metric(servers.get(0), "pledge_lock_release_all_scanned_total") - scannedBefore,
          "ReleaseAll looked at more than the owner's locks");
      assertFalse(servers.get(1).hazelcast().getMap(HazelcastLockStore.OWNERS_MAP).containsKey("tx-7"),
          "the owner's index entry is gone after ReleaseAll");
      await().atMost(Duration.ofSeconds(10)).until(waiting::isComplete);
      assertTrue(waiting.failed(), "the wait was withdrawn");
      // Nothing of another owner was touched, and the lock the owner waited for is still its holder's.
      assertEquals("tx-8", join(b.inspect("busy")).getHolders(0).getOwner());
      assertEquals(others.get("other-17"), locks.get("other-17"));
      assertEquals(3_000 + 4, locks.size());
      assertEquals(List.of("busy"), join(b.releaseAll("tx-8")).getReleasedList());

      // Many owners come and go: released one by one, released all, or left to their leases.
      List<LockHandle> held = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        LockClient c = i % 2 == 0 ? a : b;
        String owner = "churn-" + i;
        held.add(c.acquireBlocking(Request.exclusive("churn-a-" + i, owner, LEASE)));
        c.acquireBlocking(Request.exclusive("churn-b-" + (i % 7), owner, LEASE).shared());
        c.acquireBlocking(Request.exclusive("churn-short-" + i, owner, Duration.ofMillis(300)));
      }
      assertEquals(40, owners(servers));
      for (int i = 0; i < 40; i++) {
        held.get(i).close();
        join((i % 2 == 0 ? b : a).releaseAll("churn-" + i));
      }
      // The short leases' owners were released all; what is left are entries whose removal was never needed.
      assertEquals(0, owners(servers), "an owner with no lock left kept an index entry");
      for (int i = 0; i < 20; i++) {
        a.acquireBlocking(Request.exclusive("expiring-" + i, "lapsed-" + i, Duration.ofMillis(500)));
      }
      assertEquals(20, owners(servers));
      // Nobody releases them and nobody touches the locks: the entries expire with the leases (plus the margin).
      await().atMost(Duration.ofSeconds(30)).until(() -> owners(servers) == 0);
    } finally {
      a.close();
      b.close();
      servers.forEach(LockServer::close);
    }
  }

  @Test
  void theIndexOutlivesAKilledMemberAndStillExpires() throws Exception {
    List<LockServer> servers = Servers.cluster(5976, 3, SETTINGS);
    LockClient a = LockClient.create(new Endpoint("127.0.0.1", servers.get(0).grpcPort()));
    try {
      HazelcastInstance victim = servers.get(2).hazelcast();
      // Owners whose index entries the victim owns (their backups are elsewhere), and locks it owns too.
      List<String> kept = ownedBy(victim, servers.get(0).hazelcast(), "kept-", 3);
      List<String> lapsing = ownedBy(victim, servers.get(0).hazelcast(), "lapsing-", 3);
      List<String> names = ownedBy(victim, servers.get(0).hazelcast(), "lock-", 6);
      for (int i = 0; i < 3; i++) {
        // Renewed through a survivor, so that it is still held when it is released after the crash.
        a.acquireBlocking(Request.exclusive(names.get(i), kept.get(i), LEASE).autoRenew((h, e) -> { }));
        a.acquireBlocking(Request.exclusive(names.get(3 + i), lapsing.get(i), Duration.ofMillis(500)));
      }
      victim.getLifecycleService().terminate(); // a crash: no graceful hand-over of its partitions
      List<LockServer> alive = servers.subList(0, 2);
      await().atMost(Duration.ofSeconds(20)).until(() -> alive.get(0).hazelcast().getCluster().getMembers().size()
          == 2);
      for (int i = 0; i < 3; i++) {
        // The promoted backups of the index and of the locks: ReleaseAll still finds and releases each lock (retried
        // while the survivors re-confirm their authority after the change).
        String owner = kept.get(i);
        var released = await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
            .until(() -> join(a.releaseAll(owner)), r -> true);
        assertEquals(List.of(names.get(i)), released.getReleasedList());
        assertEquals(0, join(a.inspect(names.get(i))).getHoldersCount());
      }
      // The entries the promoted backups took over expire with their leases, as the primaries' would have.
      await().atMost(Duration.ofSeconds(30)).until(() -> owners(alive) == 0);
      await().atMost(Duration.ofSeconds(30)).until(() -> storedOwnerEntries(alive) == 0);
    } finally {
      a.close();
      servers.forEach(LockServer::close);
    }
  }

  /** {@code n} names starting with {@code prefix} whose partitions {@code member} owns. */
  private static List<String> ownedBy(HazelcastInstance member, HazelcastInstance any, String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; out.size() < n; i++) {
      String name = prefix + i;
      if (member.getCluster().getLocalMember().equals(any.getPartitionService().getPartition(name).getOwner())) {
        out.add(name);
      }
    }
    return out;
  }

  private static List<String> indexed(LockServer any, String owner) {
    IMap<String, OwnerLocks> owners = any.hazelcast().getMap(HazelcastLockStore.OWNERS_MAP);
    OwnerLocks o = owners.get(owner);
    return o == null ? List.of() : o.locks();
  }

  /** Owners with an index entry, as a reader sees them (an expired entry is not returned). */
  private static int owners(List<LockServer> servers) {
    IMap<String, OwnerLocks> owners = servers.get(0).hazelcast().getMap(HazelcastLockStore.OWNERS_MAP);
    return owners.getAll(new TreeSet<>(owners.keySet())).size();
  }

  /** Entries the members still store, expired or not (each member's primaries): what the index costs in memory. */
  private static long storedOwnerEntries(List<LockServer> servers) {
    long n = 0;
    for (LockServer s : servers) {
      n += s.hazelcast().getMap(HazelcastLockStore.OWNERS_MAP).getLocalMapStats().getOwnedEntryCount();
    }
    return n;
  }

  /** Queries run against the lock map, over the members. */
  private static long lockQueries(List<LockServer> servers) {
    long n = 0;
    for (LockServer s : servers) {
      n += s.hazelcast().getMap(HazelcastLockStore.LOCKS_MAP).getLocalMapStats().getQueryCount();
    }
    return n;
  }

  private static double metric(LockServer server, String name) {
    return await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> scrape(server, name), v -> true);
  }

  private static double scrape(LockServer server, String name) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      String body = vertx.createHttpClient().request(HttpMethod.GET, server.opsPort(), "127.0.0.1", "/metrics")
          .compose(r -> r.send().compose(resp -> resp.body())).map(Buffer::toString)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return body.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    } finally {
      vertx.close();
    }
  }

  private static <T> T join(Future<T> f) {
    return LockServiceIT.join(f);
  }
}
