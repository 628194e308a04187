package io.pledge.coordinator.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.durable.Durability;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log written with a row per participant (V1, V2) opened by this version: the migration moves the participants
 * into their transactions' rows, and recovery reads what the old coordinator wrote.
 */
class LogUpgradeTest {

  @TempDir
  Path dir;

  final Participant a = new Participant("bank-a", "127.0.0.1:7501");
  final Participant b = new Participant("bank-b", "127.0.0.1:7502");
  final Participant c = new Participant("bank-c", "[::1]:7503");

  H2TxLog open() throws Exception {
    return H2TxLog.open(dir, 16, Duration.ZERO, new SimpleMeterRegistry(), () -> 5_000);
  }

  @Test
  void unfinishedAndEndedTransactionsKeepTheirParticipantsAcrossTheUpgrade() throws Exception {
    TxId committing = new TxId("coord-0", 3, 1);
    TxId intent = new TxId("coord-0", 3, 2);
    TxId resolved = new TxId("coord-0", 2, 7);
    TxId endOnly = new TxId("coord-0", 2, 8);
    try (OldLogFixture old = OldLogFixture.create(dir, "2")) {
      old.epoch(3)
          .tx(committing.toString(), 3, "COMMIT", 9_000, 1_000)
          .participant(committing.toString(), b.id(), b.endpoint(), null)
          .participant(committing.toString(), a.id(), a.endpoint(), null)
          .tx(intent.toString(), 3, "INTENT", 9_000, 1_000)
          .participant(intent.toString(), c.id(), c.endpoint(), null)
          .participant(intent.toString(), a.id(), a.endpoint(), null)
          .participant(intent.toString(), b.id(), b.endpoint(), null)
          .tx(resolved.toString(), 2, "COMMITTED", 9_000, 1_000)
          .participant(resolved.toString(), a.id(), a.endpoint(), null)
          .participant(resolved.toString(), b.id(), b.endpoint(), "FORGOTTEN")
          .tx(endOnly.toString(), 2, "ROLLED_BACK", 0, 1_000);
    }
    try (H2TxLog log = open()) {
      Map<TxId, LoggedTx> unfinished = log.unfinished().toCompletableFuture().get().stream()
          .collect(Collectors.toMap(LoggedTx::id, t -> t));
      assertEquals(Set.of(committing, intent), unfinished.keySet());
      assertEquals(Kind.COMMIT, unfinished.get(committing).kind());
      assertEquals(List.of(a, b), unfinished.get(committing).participants());
      assertEquals(Kind.INTENT, unfinished.get(intent).kind());
      assertEquals(List.of(a, b, c), unfinished.get(intent).participants());
      assertEquals(9_000, unfinished.get(intent).deadlineMillis());

      LoggedTx r = log.find(resolved).toCompletableFuture().get().orElseThrow();
      assertEquals(List.of(a, b), r.participants());
      assertEquals(Set.of(b.id()), r.forgotten());
      assertEquals(List.of(), log.find(endOnly).toCompletableFuture().get().orElseThrow().participants());
      assertEquals(4, log.nextEpoch().toCompletableFuture().get(), "the old epoch is kept");
      assertFalse(tableExists(log, "TX_PARTICIPANT"), "no row per participant is left, nor its table");

      // The upgraded log goes on: the intent's recovery aborts it, the decision's finishes.
      log.writeEnd(intent, Outcome.ABORTED, null).toCompletableFuture().get();
      log.writeEnd(committing, Outcome.COMMITTED, null).toCompletableFuture().get();
      assertTrue(log.unfinished().toCompletableFuture().get().isEmpty());
      assertEquals(List.of(a, b, c), log.find(intent).toCompletableFuture().get().orElseThrow().participants());
      assertEquals(4, log.purgeEndedBefore(6_000).toCompletableFuture().get(), "all four ended, purged");
      assertTrue(log.find(resolved).toCompletableFuture().get().isEmpty());
    }
  }

  @Test
  void aLogAtTheLastFormBeforeTheChangeIsUpgradedToo() throws Exception {
    TxId committing = new TxId("coord-0", 1, 1);
    try (OldLogFixture old = OldLogFixture.create(dir, "4")) {
      old.epoch(1).tx(committing.toString(), 1, "COMMIT", 9_000, 1_000)
          .participant(committing.toString(), a.id(), a.endpoint(), null);
    }
    try (H2TxLog log = open()) {
      assertEquals(List.of(a), log.unfinished().toCompletableFuture().get().get(0).participants());
    }
    try (H2TxLog log = open()) {
      assertEquals(List.of(a), log.unfinished().toCompletableFuture().get().get(0).participants(),
          "a second start migrates nothing again");
    }
  }

  static boolean tableExists(H2TxLog log, String table) throws Exception {
    return log.store().submit(Durability.NONE, conn -> {
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = '" + table + "'")) {
        rs.next();
        return rs.getInt(1) > 0;
      }
    }).get();
  }
}
