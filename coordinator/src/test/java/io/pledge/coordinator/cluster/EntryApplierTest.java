package io.pledge.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.durable.Durability;
import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Entry;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.cluster.LogRecord.Purge;
import io.pledge.coordinator.cluster.LogRecord.Result;
import io.pledge.coordinator.log.H2TxLog;
import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries applied to a real H2 log: in order, idempotent across replays, first decision wins, snapshots restore. */
class EntryApplierTest {

  @TempDir
  Path dir;

  static final TxId T1 = new TxId("pledge", 1, 1);
  static final TxId T2 = new TxId("pledge", 1, 2);
  static final List<Participant> AB = List.of(new Participant("a", "h:1"), new Participant("b", "h:2"));
  static final TxLog.Info INFO = new TxLog.Info(1_765_000_000_000L, java.util.Map.of("order", "o-17"),
      "spiffe://pledge/client/orders");
  static final AbortReason TIMEOUT = AbortReason.of(AbortCause.PREPARE_TIMEOUT, "no vote from b");

  H2TxLog open(Path at) throws Exception {
    return H2TxLog.open(at, 64, Duration.ZERO, new SimpleMeterRegistry(), () -> 0);
  }

  static List<Result> apply(H2TxLog log, long index, LogRecord... records) {
    return log.transact(Durability.WRITTEN, ops -> EntryApplier.apply(ops, index, new Entry(List.of(records), 1_000)))
        .toCompletableFuture().join();
  }

  static Kind kind(H2TxLog log, TxId id) {
    return log.find(id).toCompletableFuture().join().map(t -> t.kind()).orElse(null);
  }

  @Test
  void replayedEntriesAreSkippedSoAnEpochCountsOnce() throws Exception {
    try (H2TxLog log = open(dir)) {
      assertEquals(1, apply(log, 0, new NewEpoch("n0", "h:1")).get(0).value());
      apply(log, 1, new Intent(T1, AB, false, 5_000));
      apply(log, 2, new Commit(T1, AB));
      // Ratis replays from its last snapshot after a restart: index 0..2 again.
      assertEquals("replayed", apply(log, 0, new NewEpoch("n0", "h:1")).get(0).detail());
      assertEquals("replayed", apply(log, 1, new Intent(T1, AB, false, 5_000)).get(0).detail());
      assertEquals(Kind.COMMIT, kind(log, T1), "a replayed intent does not undo the decision");
      assertEquals(2, apply(log, 3, new NewEpoch("n1", "h:2")).get(0).value());
    }
  }

  @Test
  void theFirstDecisionWinsAndTheSecondIsRefused() throws Exception {
    try (H2TxLog log = open(dir)) {
      apply(log, 0, new Intent(T1, AB, false, 0), new Intent(T2, AB, false, 0));
      List<Result> r = apply(log, 1, new Abort(T1, TIMEOUT), new Commit(T1, AB), new Commit(T2, AB),
          new Abort(T2, TIMEOUT));
      assertTrue(r.get(0).applied());
      assertFalse(r.get(1).applied(), "a commit after the abort");
      assertTrue(r.get(1).detail().contains("ROLLED_BACK"), r.get(1).detail());
      assertTrue(r.get(2).applied());
      assertFalse(r.get(3).applied(), "an abort after the commit");
      assertEquals(Kind.ROLLED_BACK, kind(log, T1));
      assertEquals(Kind.COMMIT, kind(log, T2));
      assertTrue(apply(log, 2, new End(T2, Outcome.COMMITTED, null, List.of(), false)).get(0).applied());
      assertEquals(Kind.COMMITTED, kind(log, T2));
      assertFalse(apply(log, 3, new Commit(new TxId("pledge", 1, 9), AB)).get(0).applied(), "no intent");
    }
  }

  @Test
  void aSnapshotIsTheWholeLogAndRestoresIntoAnotherDatabase() throws Exception {
    Path script = dir.resolve("snapshot.sql");
    try (H2TxLog log = open(dir.resolve("leader"))) {
      apply(log, 0, new NewEpoch("n0", "h:1"), new Intent(T1, AB, false, 0, INFO), new Intent(T2, AB, false, 0));
      apply(log, 1, new Commit(T1, AB), new End(T1, Outcome.COMMITTED, null, List.of(), false));
      assertEquals(INFO, log.find(T1).toCompletableFuture().join().orElseThrow().info(), "applied with the intent");
      log.exportTo(script).toCompletableFuture().join();
    }
    try (H2TxLog log = open(dir.resolve("follower"))) {
      apply(log, 0, new Intent(new TxId("pledge", 9, 9), AB, false, 0));
      log.importFrom(script).toCompletableFuture().join();
      assertEquals(Kind.COMMITTED, kind(log, T1));
      assertEquals(INFO, log.find(T1).toCompletableFuture().join().orElseThrow().info(), "in the snapshot");
      assertEquals(Kind.INTENT, kind(log, T2));
      assertEquals(TxLog.Info.NONE, log.find(T2).toCompletableFuture().join().orElseThrow().info());
      assertEquals(null, kind(log, new TxId("pledge", 9, 9)), "what the follower had is replaced");
      assertEquals("replayed", apply(log, 1, new Commit(T1, AB)).get(0).detail(), "its applied index came along");
      assertEquals(2, apply(log, 2, new NewEpoch("n1", "h:2")).get(0).value());
      assertEquals(List.of(T2), log.unfinished().toCompletableFuture().join().stream().map(t -> t.id()).toList());
      assertEquals(1, apply(log, 3, new Purge(Long.MAX_VALUE)).get(0).value(), "T1 ended, purged");
    }
  }
}
