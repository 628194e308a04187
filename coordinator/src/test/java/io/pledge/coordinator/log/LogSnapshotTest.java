package io.pledge.coordinator.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.cluster.v1.MetaRow;
import io.pledge.api.cluster.v1.ParticipantRow;
import io.pledge.api.cluster.v1.SnapshotRow;
import io.pledge.api.cluster.v1.TxRow;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot stream a replicated log's node installs: the same form ({@code ParticipantRow}s) as before one row
 * per transaction, so that nodes of both versions read each other's snapshots during a rolling upgrade.
 */
class LogSnapshotTest {

  @TempDir
  Path dir;

  final Participant a = new Participant("a", "127.0.0.1:1");
  final Participant b = new Participant("b", "127.0.0.1:2");
  final Participant c = new Participant("c", "127.0.0.1:3");

  H2TxLog open(String name) throws Exception {
    return H2TxLog.open(dir.resolve(name), 16, Duration.ZERO, new SimpleMeterRegistry(), () -> 1_000);
  }

  static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get();
  }

  @Test
  void aSnapshotCarriesEveryRecordsParticipantsAndTheForgottenOnes() throws Exception {
    Path file = dir.resolve("snapshot");
    TxId committing = new TxId("n", 1, 1);
    TxId resolved = new TxId("n", 1, 2);
    TxId endOnly = new TxId("n", 1, 3);
    try (H2TxLog log = open("leader")) {
      get(log.writeIntent(committing, List.of(c, a, b), false, 7_000));
      get(log.forceCommit(committing, List.of(a, c)));
      get(log.writeIntent(resolved, List.of(a, b), false, 7_000));
      get(log.forceCommit(resolved, List.of(a, b)));
      get(log.forceResolvedEnd(resolved, Outcome.COMMITTED, null, List.of(b)));
      get(log.writeEnd(endOnly, Outcome.ABORTED, AbortReason.of(AbortCause.OPERATOR, "by hand")));
      get(log.exportTo(file));
    }
    List<SnapshotRow> rows = read(file);
    assertEquals(2, rows.stream().filter(r -> r.hasParticipant() && r.getParticipant().getTxId()
        .equals(committing.toString())).count(), "a ParticipantRow per participant, as before");
    assertEquals(rows.get(rows.indexOf(rows.stream().filter(r -> r.hasTx() && r.getTx().getTxId()
        .equals(committing.toString())).findFirst().orElseThrow()) + 1).getParticipant().getTxId(),
        committing.toString(), "right after their transaction");
    try (H2TxLog log = open("follower")) {
      get(log.writeIntent(new TxId("n", 9, 9), List.of(a), false, 0));
      get(log.importFrom(file));
      LoggedTx t = get(log.find(committing)).orElseThrow();
      assertEquals(Kind.COMMIT, t.kind());
      assertEquals(List.of(a, c), t.participants());
      assertEquals(7_000, t.deadlineMillis());
      LoggedTx r = get(log.find(resolved)).orElseThrow();
      assertEquals(List.of(a, b), r.participants());
      assertEquals(Set.of("b"), r.forgotten());
      assertEquals(List.of(), get(log.find(endOnly)).orElseThrow().participants());
      assertEquals(AbortReason.of(AbortCause.OPERATOR, "by hand"), get(log.find(endOnly)).orElseThrow().abortReason());
      assertTrue(get(log.find(new TxId("n", 9, 9))).isEmpty(), "replaced");
      assertEquals(List.of(committing), get(log.unfinished()).stream().map(LoggedTx::id).toList());
    }
  }

  /** What a node of the version before wrote: every transaction first, then every participant row. */
  @Test
  void aSnapshotOfTheOldFormIsInstalled() throws Exception {
    Path file = dir.resolve("old-snapshot");
    TxId committing = new TxId("n", 1, 1);
    TxId resolved = new TxId("n", 1, 2);
    try (OutputStream out = Files.newOutputStream(file)) {
      row(SnapshotRow.newBuilder().setMeta(MetaRow.newBuilder().setKey("epoch").setValue(1)), out);
      row(SnapshotRow.newBuilder().setMeta(MetaRow.newBuilder().setKey("purged_through_epoch").setValue(0)), out);
      row(SnapshotRow.newBuilder().setTx(TxRow.newBuilder().setTxId(committing.toString()).setEpoch(1)
          .setState("COMMIT").setDeadlineAt(7_000).setUpdatedAt(900)), out);
      row(SnapshotRow.newBuilder().setTx(TxRow.newBuilder().setTxId(resolved.toString()).setEpoch(1)
          .setState("COMMITTED").setUpdatedAt(900)), out);
      row(participant(committing, b, null), out);
      row(participant(resolved, a, null), out);
      row(participant(committing, a, null), out);
      row(participant(resolved, b, "FORGOTTEN"), out);
      row(participant(new TxId("n", 1, 99), c, null), out);
    }
    try (H2TxLog log = open("follower")) {
      get(log.importFrom(file));
      assertEquals(List.of(a, b), get(log.find(committing)).orElseThrow().participants());
      assertEquals(Kind.COMMIT, get(log.find(committing)).orElseThrow().kind());
      LoggedTx r = get(log.find(resolved)).orElseThrow();
      assertEquals(List.of(a, b), r.participants());
      assertEquals(Set.of("b"), r.forgotten());
      assertTrue(get(log.find(new TxId("n", 1, 99))).isEmpty(), "a participant row without its transaction");
      assertEquals(2, get(log.nextEpoch()));
    }
  }

  private static SnapshotRow.Builder participant(TxId tx, Participant p, String resolution) {
    ParticipantRow.Builder row = ParticipantRow.newBuilder().setTxId(tx.toString()).setParticipantId(p.id())
        .setEndpoint(p.endpoint());
    return SnapshotRow.newBuilder().setParticipant(resolution == null ? row : row.setResolution(resolution));
  }

  private static void row(SnapshotRow.Builder row, OutputStream out) throws IOException {
    row.build().writeDelimitedTo(out);
  }

  private static List<SnapshotRow> read(Path file) throws IOException {
    List<SnapshotRow> rows = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      SnapshotRow row;
      while ((row = SnapshotRow.parseDelimitedFrom(in)) != null) {
        rows.add(row);
      }
    }
    return rows;
  }
}
