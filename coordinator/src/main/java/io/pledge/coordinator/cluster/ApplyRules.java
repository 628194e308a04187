package io.pledge.coordinator.cluster;

import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.Outcome;
import java.util.Optional;

/**
 * Whether a replicated record may change a transaction's log record: at most one decision per transaction. Every
 * node applies the same entries in the same order through these rules, so they all keep the first decision and
 * refuse any later contradicting one the same way (a deposed leader's proposal that reached the log after a new
 * leader's decision, for instance). Pure.
 */
public final class ApplyRules {

  /** What to do with a record. */
  public enum Verdict {
    /** Write it. */
    APPLY,
    /** Already in effect (a repeated record): nothing to write, reported as applied. */
    ALREADY,
    /** It contradicts the log: nothing is written, the proposer is told. */
    REFUSE
  }

  private ApplyRules() {}

  /** Records without a transaction (epoch, purge) always apply. */
  public static Verdict verdict(Optional<LoggedTx> current, LogRecord record) {
    Kind kind = current.map(LoggedTx::kind).orElse(null);
    if (record instanceof Intent) {
      return kind == null || kind == Kind.INTENT ? Verdict.APPLY : Verdict.REFUSE;
    }
    if (record instanceof Commit) {
      if (kind == Kind.INTENT || kind == Kind.COMMIT) {
        return Verdict.APPLY;
      }
      return kind == Kind.COMMITTED ? Verdict.ALREADY : Verdict.REFUSE;
    }
    if (record instanceof Abort) {
      if (kind == null || kind == Kind.INTENT) {
        return Verdict.APPLY;
      }
      return kind == Kind.ROLLED_BACK ? Verdict.ALREADY : Verdict.REFUSE;
    }
    if (record instanceof End end) {
      boolean committed = end.outcome() == Outcome.COMMITTED;
      if (committed ? kind == Kind.ROLLED_BACK : (kind == Kind.COMMIT || kind == Kind.COMMITTED)) {
        return Verdict.REFUSE;
      }
      // An operator's resolution adds its forgotten participants even to an ended record.
      return kind != null && kind.isEnd() && !end.resolved() ? Verdict.ALREADY : Verdict.APPLY;
    }
    return Verdict.APPLY;
  }

  /** Why a record was refused, for the proposer's error. */
  public static String refusal(Optional<LoggedTx> current, LogRecord record) {
    String what = record.getClass().getSimpleName().toLowerCase();
    return current.map(t -> "the log already holds " + t.kind() + " for " + t.id() + "; a " + what
        + " record would contradict it").orElse("the log holds no intent record for this transaction; a " + what
        + " record needs one");
  }
}
