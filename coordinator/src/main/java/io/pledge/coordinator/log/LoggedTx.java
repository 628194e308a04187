package io.pledge.coordinator.log;

import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the log knows of one transaction.
 *
 * @param participants for INTENT, every enlisted participant; for COMMIT and after, those phase 2 must reach
 * @param abortReason set for ROLLED_BACK
 * @param forgotten ids of the participants an operator ended the transaction without (see
 *     {@link TxLog#forceResolvedEnd}); empty otherwise
 */
public record LoggedTx(TxId id, Kind kind, boolean onePhase, long deadlineMillis, long updatedAtMillis,
    List<Participant> participants, AbortReason abortReason, Set<String> forgotten, TxLog.Info info) {

  /** The last record written for the transaction. */
  public enum Kind {
    /** Participant list, no decision. */
    INTENT,
    /** The forced commit decision. */
    COMMIT,
    /** END, committed. */
    COMMITTED,
    /** END, rolled back. */
    ROLLED_BACK;

    public boolean isEnd() {
      return this == COMMITTED || this == ROLLED_BACK;
    }
  }

  public LoggedTx {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    participants = List.copyOf(participants);
    forgotten = Set.copyOf(forgotten);
    info = info == null ? TxLog.Info.NONE : info;
  }

  public LoggedTx(TxId id, Kind kind, boolean onePhase, long deadlineMillis, long updatedAtMillis,
      List<Participant> participants, AbortReason abortReason, Set<String> forgotten) {
    this(id, kind, onePhase, deadlineMillis, updatedAtMillis, participants, abortReason, forgotten, null);
  }

  public LoggedTx(TxId id, Kind kind, boolean onePhase, long deadlineMillis, long updatedAtMillis,
      List<Participant> participants, AbortReason abortReason) {
    this(id, kind, onePhase, deadlineMillis, updatedAtMillis, participants, abortReason, Set.of());
  }
}
