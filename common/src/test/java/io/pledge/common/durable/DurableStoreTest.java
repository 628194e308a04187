package io.pledge.common.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The group-committing store on a real H2 file: batches, one sync per forced batch, failures kept to their task. */
class DurableStoreTest {

  @TempDir
  Path dir;
  SimpleMeterRegistry registry = new SimpleMeterRegistry();
  DurableStore store;

  @BeforeEach
  void open() throws SQLException {
    store = DurableStore.open(dir.resolve("store"), "test", "classpath:db/test-store", 256, Duration.ZERO, registry);
  }

  @AfterEach
  void close() {
    store.close();
  }

  StoreWork<Void> put(String k, long v) {
    return c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO item (k, v) VALUES (?, ?)")) {
        ps.setString(1, k);
        ps.setLong(2, v);
        ps.executeUpdate();
      }
      return null;
    };
  }

  Long get(String k) throws Exception {
    return store.submit(Durability.NONE, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT v FROM item WHERE k = ?")) {
        ps.setString(1, k);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : null;
        }
      }
    }).get(10, TimeUnit.SECONDS);
  }

  double syncs() {
    return registry.get("pledge.log.syncs").counter().count();
  }

  /** Holds the writer in a task until released, so that what is submitted meanwhile forms the next batch. */
  CountDownLatch holdWriter() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    store.submit(Durability.NONE, c -> {
      started.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    });
    assertTrue(started.await(10, TimeUnit.SECONDS));
    return release;
  }

  @Test
  void forcedWorkSubmittedTogetherSharesOneSync() throws Exception {
    CountDownLatch release = holdWriter();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      done.add(store.submit(Durability.FORCED, put("k" + i, i)));
    }
    release.countDown();
    for (CompletableFuture<Void> f : done) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertEquals(1.0, syncs());
    assertEquals(49L, get("k49"));
    store.submit(Durability.WRITTEN, put("w", 1)).get(10, TimeUnit.SECONDS);
    assertEquals(1.0, syncs(), "written work is committed, not synced");
  }

  @Test
  void aFailingTaskLosesOnlyItsOwnWork() throws Exception {
    CountDownLatch release = holdWriter();
    CompletableFuture<Void> before = store.submit(Durability.FORCED, put("a", 1));
    CompletableFuture<Void> failing = store.submit(Durability.FORCED, c -> {
      put("half", 1).run(c); // written, then undone with the failure
      return put("a", 2).run(c); // duplicate key
    });
    CompletableFuture<Void> after = store.submit(Durability.FORCED, put("b", 3));
    release.countDown();
    before.get(10, TimeUnit.SECONDS);
    after.get(10, TimeUnit.SECONDS);
    ExecutionException e = assertThrows(ExecutionException.class, () -> failing.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof SQLException, String.valueOf(e.getCause()));
    assertEquals(1L, get("a"));
    assertEquals(3L, get("b"));
    assertEquals(null, get("half"));
    assertEquals(1.0, syncs());
  }

  @Test
  void underLoadForcedWorkWaitsForMoreToShareItsSync() throws Exception {
    store.close();
    // A delay no test would wait out: the batch closes because it is full, not because time passed.
    int full = DurableStore.COMMIT_SIBLINGS;
    registry = new SimpleMeterRegistry(); // its own meters: the closed store's gauge would keep the name
    store = DurableStore.open(dir.resolve("delayed"), "test", "classpath:db/test-store", full, Duration.ofMinutes(1),
        registry);
    CountDownLatch release = holdWriter();
    List<CompletableFuture<Void>> load = new ArrayList<>();
    for (int i = 0; i < full; i++) {
      load.add(store.submit(Durability.FORCED, put("load" + i, i)));
    }
    release.countDown();
    CompletableFuture.allOf(load.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS); // under load now
    double before = syncs();
    List<CompletableFuture<Void>> next = new ArrayList<>(List.of(store.submit(Durability.FORCED, put("first", 1))));
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> registry.get("pledge.log.queued").gauge().value() == 0); // taken, and waiting for company
    assertTrue(!next.get(0).isDone());
    for (int i = 1; i < full; i++) {
      next.add(store.submit(Durability.FORCED, put("next" + i, i)));
    }
    CompletableFuture.allOf(next.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertEquals(before + 1, syncs());
  }

  @Test
  void committedWorkSurvivesReopening() throws Exception {
    store.submit(Durability.FORCED, put("kept", 7)).get(10, TimeUnit.SECONDS);
    store.close();
    store = DurableStore.open(dir.resolve("store"), "test", "classpath:db/test-store", 256, Duration.ZERO, registry);
    assertEquals(7L, get("kept"));
  }

  /**
   * Rows written once and updated twice in the next batches, as the coordinator's log does with a transaction's
   * intent, decision and END: every commit is a new H2 chunk that keeps a few live pages. Without the writer's
   * compaction (a store that never comes to it) the file grows by every chunk; with it, it stays a small multiple
   * of the data. Retention 0 here, so that freed chunks are reused at once (45 s into a real run), and compaction
   * after every batch (once a second in a real run), so that the size does not depend on how fast this machine
   * writes: with a period, a faster machine writes more batches between two compactions.
   */
  @Test
  void theFileStaysBoundedUnderRewritesBecauseTheWriterCompacts() throws Exception {
    store.close();
    long without = fileAfterRewrites("never", Duration.ofDays(1));
    long with = fileAfterRewrites("compacted", Duration.ZERO);
    assertTrue(with < 8 << 20, "compacted file " + with + " bytes"); // 3.4 MB here, the same every run
    assertTrue(with * 4 < without, "compacted " + with + " bytes, never compacted " + without);
  }

  private long fileAfterRewrites(String name, Duration compactEvery) throws Exception {
    registry = new SimpleMeterRegistry();
    store = DurableStore.open(dir.resolve(name), "test", "classpath:db/test-store", 256, Duration.ZERO,
        compactEvery, registry);
    store.submit(Durability.NONE, c -> {
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("SET RETENTION_TIME 0");
      }
      return null;
    }).get(10, TimeUnit.SECONDS);
    int perBatch = 16;
    for (int batch = 0; batch < 3000; batch++) {
      int b = batch;
      store.submit(Durability.WRITTEN, c -> {
        for (int i = 0; i < perBatch; i++) {
          put("k" + b + "-" + i, 0).run(c);
          for (int back = 1; back <= 2 && b >= back; back++) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE item SET v = ? WHERE k = ?")) {
              ps.setLong(1, back);
              ps.setString(2, "k" + (b - back) + "-" + i);
              ps.executeUpdate();
            }
          }
        }
        return null;
      }).get(10, TimeUnit.SECONDS);
    }
    assertEquals(2L, get("k0-0"));
    long size = java.nio.file.Files.size(dir.resolve(name + ".mv.db"));
    assertEquals((double) size, registry.get("pledge.log.file").gauge().value(), size / 10.0, "the file size gauge");
    store.close();
    System.out.println(name + ": " + size + " bytes");
    return size;
  }
}
