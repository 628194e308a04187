package io.pledge.coordinator.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.durable.DurableStore;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.pledge.common.durable.Durability;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The H2 log's records, lookups, purge and group commit, on a real H2 file. */
class H2TxLogTest {

  @TempDir
  Path dir;

  final AtomicLong clock = new AtomicLong(1_000_000);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final List<Participant> ab = List.of(new Participant("a", "127.0.0.1:1"), new Participant("b", "127.0.0.1:2"));

  H2TxLog open() throws Exception {
    return H2TxLog.open(dir, 512, DurableStore.DEFAULT_COMMIT_DELAY, registry, clock::get);
  }

  static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get();
  }

  @Test
  void epochGrowsAcrossOpens() throws Exception {
    try (H2TxLog log = open()) {
      assertEquals(1, get(log.nextEpoch()));
    }
    try (H2TxLog log = open()) {
      assertEquals(2, get(log.nextEpoch()));
    }
  }

  @Test
  void recordsMoveFromIntentToCommitToEnd() throws Exception {
    try (H2TxLog log = open()) {
      TxId id = new TxId("coord-0", 1, 1);
      get(log.writeIntent(id, ab, false, 5_000));
      assertEquals(LoggedTx.Kind.INTENT, get(log.find(id)).orElseThrow().kind());
      get(log.forceCommit(id, List.of(ab.get(0))));
      LoggedTx committing = get(log.unfinished()).get(0);
      assertEquals(LoggedTx.Kind.COMMIT, committing.kind());
      assertEquals(List.of(ab.get(0)), committing.participants(), "read-only voters leave the commit record");
      get(log.writeEnd(id, Outcome.COMMITTED, null));
      assertTrue(get(log.unfinished()).isEmpty());
      assertEquals(LoggedTx.Kind.COMMITTED, get(log.find(id)).orElseThrow().kind());
    }
  }

  @Test
  void theOwnerIsKeptWithTheIntentAndWithAnEndWithoutIntentAcrossReopening() throws Exception {
    TxId intent = new TxId("coord-0", 1, 7);
    TxId endOnly = new TxId("coord-0", 1, 8);
    TxId anonymous = new TxId("coord-0", 1, 9);
    try (H2TxLog log = open()) {
      get(log.writeIntent(intent, ab, false, 5_000, new TxLog.Info(1, java.util.Map.of(), "spiffe://pledge/app/a")));
      get(log.writeEnd(endOnly, Outcome.COMMITTED, null, new TxLog.Info(1, java.util.Map.of(),
          "spiffe://pledge/app/b")));
      get(log.writeIntent(anonymous, ab, false, 5_000, new TxLog.Info(1, java.util.Map.of())));
    }
    try (H2TxLog log = open()) {
      assertEquals("spiffe://pledge/app/a", get(log.find(intent)).orElseThrow().info().owner());
      assertEquals("spiffe://pledge/app/b", get(log.find(endOnly)).orElseThrow().info().owner());
      assertEquals("", get(log.find(anonymous)).orElseThrow().info().owner(), "no identity: no owner");
      get(log.writeEnd(intent, Outcome.ABORTED, null));
      assertEquals("spiffe://pledge/app/a", get(log.find(intent)).orElseThrow().info().owner(),
          "the END keeps the intent's owner");
    }
  }

  @Test
  void abortReasonIsKeptWithTheEnd() throws Exception {
    try (H2TxLog log = open()) {
      TxId id = new TxId("coord-0", 1, 2);
      get(log.writeIntent(id, ab, false, 5_000));
      get(log.writeEnd(id, Outcome.ABORTED, new AbortReason(AbortCause.VOTED_NO, "b", "no funds")));
      LoggedTx ended = get(log.find(id)).orElseThrow();
      assertEquals(LoggedTx.Kind.ROLLED_BACK, ended.kind());
      assertEquals(new AbortReason(AbortCause.VOTED_NO, "b", "no funds"), ended.abortReason());
    }
  }

  @Test
  void anOperatorsResolvedEndNamesTheForgottenParticipantsAcrossReopening() throws Exception {
    TxId committed = new TxId("coord-0", 1, 4);
    TxId rolledBack = new TxId("coord-0", 1, 5);
    try (H2TxLog log = open()) {
      get(log.writeIntent(committed, ab, false, 5_000));
      get(log.forceCommit(committed, ab));
      get(log.forceResolvedEnd(committed, Outcome.COMMITTED, null, List.of(ab.get(1))));
      // An abort before commit was requested has no record yet: the resolution creates it.
      get(log.forceResolvedEnd(rolledBack, Outcome.ABORTED, AbortReason.of(AbortCause.OPERATOR, "by hand"),
          List.of(ab.get(0))));
    }
    try (H2TxLog log = open()) {
      assertTrue(get(log.unfinished()).isEmpty());
      LoggedTx c = get(log.find(committed)).orElseThrow();
      assertEquals(LoggedTx.Kind.COMMITTED, c.kind());
      assertEquals(ab, c.participants());
      assertEquals(java.util.Set.of("b"), c.forgotten());
      LoggedTx r = get(log.find(rolledBack)).orElseThrow();
      assertEquals(LoggedTx.Kind.ROLLED_BACK, r.kind());
      assertEquals(List.of(ab.get(0)), r.participants());
      assertEquals(java.util.Set.of("a"), r.forgotten());
      assertEquals(AbortReason.of(AbortCause.OPERATOR, "by hand"), r.abortReason());
    }
  }

  @Test
  void endWithoutIntentIsRecorded() throws Exception {
    try (H2TxLog log = open()) {
      TxId id = new TxId("coord-0", 1, 7);
      get(log.writeEnd(id, Outcome.COMMITTED, null));
      assertEquals(LoggedTx.Kind.COMMITTED, get(log.find(id)).orElseThrow().kind());
      assertTrue(get(log.unfinished()).isEmpty());
    }
  }

  @Test
  void commitWithoutIntentFails() throws Exception {
    try (H2TxLog log = open()) {
      CompletableFuture<Void> f = log.forceCommit(new TxId("coord-0", 1, 3), ab).toCompletableFuture();
      assertTrue(f.isCompletedExceptionally() || failsEventually(f));
    }
  }

  private static boolean failsEventually(CompletableFuture<?> f) {
    try {
      f.get();
      return false;
    } catch (Exception e) {
      return true;
    }
  }

  @Test
  void purgeRemovesOnlyEndedRecordsPastRetention() throws Exception {
    try (H2TxLog log = open()) {
      TxId old = new TxId("coord-0", 3, 1);
      TxId recent = new TxId("coord-0", 4, 1);
      TxId open = new TxId("coord-0", 2, 9);
      get(log.writeIntent(old, ab, false, 0));
      get(log.writeEnd(old, Outcome.COMMITTED, null));
      get(log.writeIntent(open, ab, false, 0));
      get(log.forceCommit(open, ab));
      clock.addAndGet(10_000);
      get(log.writeIntent(recent, ab, false, 0));
      get(log.writeEnd(recent, Outcome.COMMITTED, null));
      assertEquals(1, get(log.purgeEndedBefore(clock.get() - 5_000)));
      assertTrue(get(log.find(old)).isEmpty());
      assertTrue(get(log.find(recent)).isPresent());
      assertTrue(get(log.find(open)).isPresent(), "an unfinished transaction is never purged");
      assertEquals(3, get(log.purgedThroughEpoch()));
    }
  }

  @Test
  void concurrentForcedWritesShareSyncs() throws Exception {
    int n = 2000;
    try (H2TxLog log = open()) {
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        TxId id = new TxId("coord-0", 1, i);
        all.add(log.writeIntent(id, ab, false, 0).thenCompose(v -> log.forceCommit(id, ab)).toCompletableFuture());
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
      assertEquals(n, get(log.unfinished()).size());
    }
    double syncs = registry.get("pledge.log.syncs").counter().count();
    DistributionSummary batch = registry.get("pledge.log.batch.size").summary();
    System.out.printf("group commit: %d forced records, %.0f syncs, mean batch %.1f, max batch %.0f%n", n, syncs,
        batch.mean(), batch.max());
    assertTrue(syncs >= 1, "forced writes are synced");
    assertTrue(syncs < n / 2.0, "forced writes submitted together share syncs: " + syncs + " syncs for " + n);
  }

  /**
   * Issue 16: a two-participant transaction costs the writer one single-row statement per record (intent, commit
   * decision, END) and one sync (the decision). With a row per participant besides it was 8: the intent's merge, a
   * delete and two inserts; the decision's update, a delete of the read-only voters and a count; the END's update.
   */
  @Test
  void aTransactionIsOneStatementPerRecordAndOnlyItsDecisionIsSynced() throws Exception {
    try (H2TxLog log = open()) {
      TxId warm = new TxId("coord-0", 1, 1);
      get(log.writeIntent(warm, ab, false, 5_000));
      log.store().submit(Durability.NONE, c -> {
        try (Statement st = c.createStatement()) {
          st.execute("SET QUERY_STATISTICS TRUE");
        }
        return null;
      }).get();
      double syncs = registry.get("pledge.log.syncs").counter().count();
      TxId id = new TxId("coord-0", 1, 2);
      get(log.writeIntent(id, ab, false, 5_000));
      get(log.forceCommit(id, ab));
      get(log.writeEnd(id, Outcome.COMMITTED, null));
      Map<String, Long> executed = log.store().submit(Durability.NONE, c -> {
        Map<String, Long> counts = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
            "SELECT SQL_STATEMENT, EXECUTION_COUNT FROM INFORMATION_SCHEMA.QUERY_STATISTICS")) {
          while (rs.next()) {
            // The batches' own COMMIT and ROLLBACK (the store's, one per batch) are not the log's statements.
            if (!rs.getString(1).contains("QUERY_STATISTICS") && !rs.getString(1).matches("COMMIT|ROLLBACK")) {
              counts.put(rs.getString(1), rs.getLong(2));
            }
          }
        }
        return counts;
      }).get();
      long statements = executed.values().stream().mapToLong(Long::longValue).sum();
      System.out.printf("one 2-participant transaction: %d statements, %.0f syncs: %s%n", statements,
          registry.get("pledge.log.syncs").counter().count() - syncs, executed);
      assertEquals(3, statements, "statements for intent, decision and END: " + executed);
      assertEquals(syncs + 1, registry.get("pledge.log.syncs").counter().count(), "only the decision is synced");
      assertEquals(ab, get(log.find(id)).orElseThrow().participants());
    }
  }

  @Test
  void participantsComeBackByIdWhateverTheOrderOfEnlistment() throws Exception {
    List<Participant> enlisted = List.of(new Participant("zeta", "127.0.0.1:3"), ab.get(1), ab.get(0));
    try (H2TxLog log = open()) {
      TxId id = new TxId("coord-0", 1, 1);
      get(log.writeIntent(id, enlisted, false, 5_000));
      assertEquals(List.of(ab.get(0), ab.get(1), enlisted.get(0)), get(log.find(id)).orElseThrow().participants());
      get(log.forceCommit(id, List.of(enlisted.get(0), ab.get(0))));
      assertEquals(List.of(ab.get(0), enlisted.get(0)), get(log.unfinished()).get(0).participants());
    }
  }

  @Test
  void aParticipantListTheRecordCannotHoldFailsTheWriteAndChangesNothing() throws Exception {
    try (H2TxLog log = open()) {
      TxId id = new TxId("coord-0", 1, 1);
      get(log.writeIntent(id, ab, false, 5_000));
      List<Participant> tooLong = List.of(new Participant("a", "h".repeat(300) + ":1"));
      assertTrue(failsEventually(log.forceCommit(id, tooLong).toCompletableFuture()));
      LoggedTx kept = get(log.find(id)).orElseThrow();
      assertEquals(LoggedTx.Kind.INTENT, kept.kind());
      assertEquals(ab, kept.participants());
    }
  }

  @Test
  void onlyForcedRecordsAreSynced() throws Exception {
    try (H2TxLog log = open()) {
      long epoch = get(log.nextEpoch());
      double afterEpoch = registry.get("pledge.log.syncs").counter().count();
      assertTrue(afterEpoch >= 1, "the epoch is forced");
      TxId id = new TxId("coord-0", epoch, 1);
      get(log.writeIntent(id, ab, false, 0));
      get(log.writeEnd(id, Outcome.ABORTED, null));
      assertEquals(afterEpoch, registry.get("pledge.log.syncs").counter().count(), "written records need no sync");
      TxId committed = new TxId("coord-0", epoch, 2);
      get(log.writeIntent(committed, ab, false, 0));
      get(log.forceCommit(committed, ab));
      assertEquals(afterEpoch + 1, registry.get("pledge.log.syncs").counter().count(), "a forced record is synced");
    }
  }
}
