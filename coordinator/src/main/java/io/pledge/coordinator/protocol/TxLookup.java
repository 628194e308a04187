package io.pledge.coordinator.protocol;

import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.protocol.CoordinatorException.Code;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.TxState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Answers for transactions that are not in memory: finished ones that left it, and ones from an earlier
 * incarnation of this coordinator. The log is asked; when it has no record, presumed abort answers: a transaction
 * with no commit record did not commit.
 */
final class TxLookup {

  private final String nodeId;
  private final TxLog log;
  private final Context context;
  private long purgedThroughEpoch;

  TxLookup(String nodeId, TxLog log, Context context) {
    this.nodeId = nodeId;
    this.log = log;
    this.context = context;
  }

  void purgedThroughEpoch(long epoch) {
    purgedThroughEpoch = Math.max(purgedThroughEpoch, epoch);
  }

  /** What is known of {@code id}; NOT_FOUND when nothing is. */
  Future<TxView> find(TxId id, long issuedSequence, long currentEpoch) {
    Future<Void> owned = checkIssued(id, issuedSequence, currentEpoch);
    if (owned.failed()) {
      return Future.failedFuture(owned.cause());
    }
    return Future.fromCompletionStage(log.find(id), context).compose(found -> {
      if (found.isPresent()) {
        return Future.succeededFuture(TxView.of(found.get()));
      }
      if (id.epoch() < currentEpoch && id.epoch() > purgedThroughEpoch) {
        return Future.succeededFuture(new TxView(id, TxState.ROLLED_BACK, 0, 0, Map.of(), List.of(),
            AbortReason.of(AbortCause.COORDINATOR_RESTARTED,
                "the coordinator restarted before a commit decision was logged (presumed abort)")));
      }
      if (id.epoch() == currentEpoch && id.epoch() > purgedThroughEpoch) {
        // Issued in this run, no log record, not in memory: it ended before any commit decision (an abort writes
        // nothing, Mohan's presumed abort) and left memory after memory.finished-retention. The answer must not
        // depend on that: it is ROLLED_BACK, as GetOutcome says ABORTED; the cause is no longer known.
        return Future.succeededFuture(new TxView(id, TxState.ROLLED_BACK, 0, 0, Map.of(), List.of(), null));
      }
      return Future.failedFuture(new CoordinatorException(Code.NOT_FOUND, "transaction " + id
          + " is no longer known: it finished and was forgotten (it did not commit unless Commit said so)"));
    });
  }

  /** Presumed abort: a transaction this coordinator issued that has no commit record is aborted. */
  Future<Outcome> outcome(TxId id, long issuedSequence, long currentEpoch) {
    Future<Void> owned = checkIssued(id, issuedSequence, currentEpoch);
    if (owned.failed()) {
      return Future.failedFuture(owned.cause());
    }
    return Future.fromCompletionStage(log.find(id), context).map(found -> found
        .map(logged -> switch (logged.kind()) {
          case COMMIT, COMMITTED -> Outcome.COMMITTED;
          case ROLLED_BACK -> Outcome.ABORTED;
          // Only an unfinished recovery leaves an INTENT that is not in memory; it will abort.
          case INTENT -> Outcome.PENDING;
        }).orElse(Outcome.ABORTED));
  }

  private Future<Void> checkIssued(TxId id, long issuedSequence, long currentEpoch) {
    if (!id.node().equals(nodeId)) {
      // coordinator.proto: NOT_FOUND is "unknown transaction", and this coordinator knows nothing of it.
      return Future.failedFuture(new CoordinatorException(Code.NOT_FOUND,
          "transaction " + id + " belongs to coordinator " + id.node() + ", not to " + nodeId + ": ask that one"));
    }
    if (id.epoch() > currentEpoch || (id.epoch() == currentEpoch && id.sequence() > issuedSequence)) {
      return Future.failedFuture(new CoordinatorException(Code.NOT_FOUND, "no transaction " + id + " was begun here"));
    }
    return Future.succeededFuture();
  }
}
