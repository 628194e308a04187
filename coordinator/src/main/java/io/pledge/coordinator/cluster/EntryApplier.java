package io.pledge.coordinator.cluster;

import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Entry;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.cluster.LogRecord.Purge;
import io.pledge.coordinator.cluster.LogRecord.Result;
import io.pledge.coordinator.log.H2TxLog;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.TxId;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies one committed Raft entry to a node's log, inside one H2 transaction together with the index of the next
 * entry to apply. That makes apply idempotent: Ratis replays entries after its latest snapshot on restart, and the
 * ones H2 already holds are skipped (a replayed epoch increment would otherwise count twice).
 */
public final class EntryApplier {

  /** {@code coordinator_meta} key: the Raft index of the next entry to apply (0: none applied yet). */
  public static final String NEXT_INDEX = "raft_next_index";

  private EntryApplier() {}

  /** @return one result per record; all applied (with value 0) when the entry had been applied before */
  public static List<Result> apply(H2TxLog.Ops ops, long index, Entry entry) throws SQLException {
    List<Result> results = new ArrayList<>(entry.records().size());
    if (index < ops.meta(NEXT_INDEX)) {
      entry.records().forEach(r -> results.add(new Result(true, 0, "replayed")));
      return results;
    }
    for (LogRecord record : entry.records()) {
      results.add(applyOne(ops, record, entry.atMillis()));
    }
    ops.setMeta(NEXT_INDEX, index + 1);
    return results;
  }

  private static Result applyOne(H2TxLog.Ops ops, LogRecord record, long now) throws SQLException {
    if (record instanceof NewEpoch) {
      return Result.applied(ops.nextEpoch());
    }
    if (record instanceof Purge p) {
      return Result.applied(ops.purgeEndedBefore(p.endedBeforeMillis()));
    }
    TxId id = txId(record);
    Optional<LoggedTx> current = ops.find(id);
    switch (ApplyRules.verdict(current, record)) {
      case REFUSE:
        return Result.refused(ApplyRules.refusal(current, record));
      case ALREADY:
        return Result.applied(0);
      default:
        break;
    }
    if (record instanceof Intent r) {
      ops.intent(id, r.participants(), r.onePhase(), r.deadlineMillis(), now, r.info());
    } else if (record instanceof Commit r) {
      ops.commit(id, r.participants(), now);
    } else if (record instanceof Abort r) {
      ops.end(id, Outcome.ABORTED, r.reason(), List.of(), now);
    } else if (record instanceof End r) {
      ops.end(id, r.outcome(), r.reason(), r.forgotten(), now, r.info());
    }
    return Result.applied(0);
  }

  private static TxId txId(LogRecord record) {
    if (record instanceof Intent r) {
      return r.id();
    } else if (record instanceof Commit r) {
      return r.id();
    } else if (record instanceof Abort r) {
      return r.id();
    } else if (record instanceof End r) {
      return r.id();
    }
    throw new IllegalArgumentException("record without a transaction: " + record);
  }
}
