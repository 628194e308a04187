package io.pledge.participant.log;

import io.micrometer.core.instrument.MeterRegistry;
import io.pledge.common.durable.Durability;
import io.pledge.common.durable.DurableStore;
import io.pledge.common.durable.StoreWork;
import io.pledge.participant.barrier.BranchState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link BranchLog} on an H2 file through {@link DurableStore}: its single writer group-commits, so concurrent
 * prepares share one device sync.
 */
public final class DurableBranchLog implements BranchLog {

  private static final String UPSERT =
      "MERGE INTO branch (tx_id, participant_id, state, updated_ms) KEY (tx_id, participant_id) VALUES (?, ?, ?, ?)";

  private final DurableStore store;
  private final Vertx vertx;

  private DurableBranchLog(DurableStore store, Vertx vertx) {
    this.store = store;
    this.vertx = vertx;
  }

  /** Opens (creating if needed) the log in {@code file} (without H2's {@code .mv.db} suffix). */
  public static DurableBranchLog open(Vertx vertx, Path file, MeterRegistry registry) throws SQLException {
    return new DurableBranchLog(DurableStore.open(file, "participant", "classpath:db/participant", 256,
        DurableStore.DEFAULT_COMMIT_DELAY, registry),
        vertx);
  }

  /** The store underneath, for tests in this package that tune H2 (its retention) to reach a crash window fast. */
  DurableStore store() {
    return store;
  }

  @Override
  public Future<Void> prepared(String txId, String participantId) {
    return write(new BranchRecord(txId, participantId, BranchState.PREPARED), Durability.FORCED);
  }

  @Override
  public Future<Void> committing(String txId, String participantId) {
    return write(new BranchRecord(txId, participantId, BranchState.COMMITTING), Durability.FORCED);
  }

  @Override
  public Future<Void> finished(BranchRecord record) {
    if (record.state() != BranchState.COMMITTED && record.state() != BranchState.ROLLED_BACK) {
      throw new IllegalArgumentException("finished() takes COMMITTED or ROLLED_BACK, not " + record.state());
    }
    return write(record, Durability.WRITTEN);
  }

  private Future<Void> write(BranchRecord r, Durability durability) {
    return run(durability, c -> {
      try (PreparedStatement s = c.prepareStatement(UPSERT)) {
        s.setString(1, r.txId());
        s.setString(2, r.participantId());
        s.setString(3, r.state().name());
        s.setLong(4, System.currentTimeMillis());
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<Optional<BranchRecord>> find(String txId, String participantId) {
    return run(Durability.NONE, c -> {
      try (PreparedStatement s =
          c.prepareStatement("SELECT state FROM branch WHERE tx_id = ? AND participant_id = ?")) {
        s.setString(1, txId);
        s.setString(2, participantId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next()
              ? Optional.of(new BranchRecord(txId, participantId, BranchState.valueOf(rs.getString(1))))
              : Optional.<BranchRecord>empty();
        }
      }
    });
  }

  @Override
  public Future<List<BranchRecord>> inDoubt() {
    return run(Durability.NONE, c -> {
      List<BranchRecord> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT tx_id, participant_id, state FROM branch WHERE state IN ('PREPARED', 'COMMITTING')"
              + " ORDER BY updated_ms");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(new BranchRecord(rs.getString(1), rs.getString(2), BranchState.valueOf(rs.getString(3))));
        }
      }
      return out;
    });
  }

  /** Runs on the store's writer and hops back to the caller's context (the writer thread is not ours to keep). */
  private <T> Future<T> run(Durability durability, StoreWork<T> work) {
    Context context = vertx.getOrCreateContext();
    return Future.fromCompletionStage(store.submit(durability, work), context);
  }

  @Override
  public void close() {
    store.close();
  }
}
