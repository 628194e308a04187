package io.pledge.coordinator.protocol;

import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Transaction;
import io.pledge.coordinator.state.Transaction.ParticipantView;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.TxState;
import io.pledge.coordinator.state.Vote;
import java.util.List;
import java.util.Map;

/** A copy of what the coordinator knows of one transaction, safe to hand to another thread. */
public record TxView(TxId id, TxState state, long begunAtMillis, long deadlineMillis, Map<String, String> labels,
    List<ParticipantView> participants, AbortReason abortReason, String owner) {

  public TxView {
    owner = owner == null ? "" : owner;
  }

  /** A view with no recorded owner. */
  public TxView(TxId id, TxState state, long begunAtMillis, long deadlineMillis, Map<String, String> labels,
      List<ParticipantView> participants, AbortReason abortReason) {
    this(id, state, begunAtMillis, deadlineMillis, labels, participants, abortReason, "");
  }

  static TxView of(Transaction tx) {
    return new TxView(tx.id(), tx.state(), tx.begunAtMillis(), tx.deadlineMillis(), tx.labels(),
        tx.participantViews(), tx.abortReason(), tx.owner());
  }

  /** From the log alone (the transaction left memory). */
  static TxView of(LoggedTx logged) {
    TxState state = switch (logged.kind()) {
      case INTENT -> TxState.PREPARING;
      case COMMIT -> TxState.COMMITTING;
      case COMMITTED -> TxState.COMMITTED;
      case ROLLED_BACK -> TxState.ROLLED_BACK;
    };
    boolean ended = logged.kind().isEnd();
    List<ParticipantView> participants = logged.participants().stream()
        .map(p -> new ParticipantView(p, logged.kind() == LoggedTx.Kind.INTENT ? null : Vote.YES, ended, 0,
            logged.forgotten().contains(p.id()))).toList();
    return new TxView(logged.id(), state, logged.info().begunAtMillis(), logged.deadlineMillis(),
        logged.info().labels(), participants, logged.abortReason(), logged.info().owner());
  }
}
