package io.pledge.coordinator.transport;

import io.pledge.api.v1.ParticipantInfo;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.coordinator.protocol.TxView;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.TxState;
import io.pledge.coordinator.state.Vote;

/** The one place where protobuf types and the coordinator's own types meet. */
final class Protos {

  private Protos() {}

  static io.pledge.api.v1.Outcome outcome(Outcome outcome) {
    return switch (outcome) {
      case COMMITTED -> io.pledge.api.v1.Outcome.OUTCOME_COMMITTED;
      case ABORTED -> io.pledge.api.v1.Outcome.OUTCOME_ABORTED;
      case PENDING -> io.pledge.api.v1.Outcome.OUTCOME_PENDING;
    };
  }

  static io.pledge.api.v1.TransactionState state(TxState state) {
    return switch (state) {
      case ACTIVE -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_ACTIVE;
      case PREPARING -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_PREPARING;
      case PREPARED -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_PREPARED;
      case COMMITTING -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_COMMITTING;
      case COMMITTED -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_COMMITTED;
      case ROLLING_BACK -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_ROLLING_BACK;
      case ROLLED_BACK -> io.pledge.api.v1.TransactionState.TRANSACTION_STATE_ROLLED_BACK;
    };
  }

  /** @throws IllegalArgumentException for UNSPECIFIED or an unknown number */
  static TxState state(io.pledge.api.v1.TransactionState state) {
    return switch (state) {
      case TRANSACTION_STATE_ACTIVE -> TxState.ACTIVE;
      case TRANSACTION_STATE_PREPARING -> TxState.PREPARING;
      case TRANSACTION_STATE_PREPARED -> TxState.PREPARED;
      case TRANSACTION_STATE_COMMITTING -> TxState.COMMITTING;
      case TRANSACTION_STATE_COMMITTED -> TxState.COMMITTED;
      case TRANSACTION_STATE_ROLLING_BACK -> TxState.ROLLING_BACK;
      case TRANSACTION_STATE_ROLLED_BACK -> TxState.ROLLED_BACK;
      default -> throw new IllegalArgumentException("unknown transaction state filter " + state);
    };
  }

  static io.pledge.api.v1.Vote vote(Vote vote) {
    if (vote == null) {
      return io.pledge.api.v1.Vote.VOTE_UNSPECIFIED;
    }
    return switch (vote) {
      case YES -> io.pledge.api.v1.Vote.VOTE_YES;
      case NO -> io.pledge.api.v1.Vote.VOTE_NO;
      case READ_ONLY -> io.pledge.api.v1.Vote.VOTE_READ_ONLY;
    };
  }

  /** @throws IllegalArgumentException for a vote that is not YES, NO or READ_ONLY */
  static Vote vote(io.pledge.api.v1.Vote vote) {
    return switch (vote) {
      case VOTE_YES -> Vote.YES;
      case VOTE_NO -> Vote.NO;
      case VOTE_READ_ONLY -> Vote.READ_ONLY;
      default -> throw new IllegalArgumentException("participant answered prepare with no valid vote (" + vote + ")");
    };
  }

  /** @throws IllegalArgumentException for UNSPECIFIED or an unknown number */
  static Outcome resolution(io.pledge.api.v1.Resolution resolution) {
    return switch (resolution) {
      case RESOLUTION_COMMIT -> Outcome.COMMITTED;
      case RESOLUTION_ROLLBACK -> Outcome.ABORTED;
      default -> throw new IllegalArgumentException("resolution must be COMMIT or ROLLBACK, got " + resolution);
    };
  }

  static io.pledge.api.v1.AbortReason abortReason(AbortReason reason) {
    return io.pledge.api.v1.AbortReason.newBuilder()
        .setCause(io.pledge.api.v1.AbortCause.valueOf("ABORT_CAUSE_" + reason.cause().name()))
        .setParticipantId(reason.participantId()).setDetail(reason.detail()).build();
  }

  static TransactionInfo transaction(TxView view) {
    TransactionInfo.Builder b = TransactionInfo.newBuilder().setTxId(view.id().toString())
        .setState(state(view.state())).setBegunEpochMs(view.begunAtMillis())
        .setDeadlineEpochMs(view.deadlineMillis()).putAllLabels(view.labels());
    view.participants().forEach(p -> b.addParticipants(ParticipantInfo.newBuilder()
        .setParticipantId(p.participant().id()).setEndpoint(p.participant().endpoint()).setVote(vote(p.vote()))
        .setFinished(p.finished()).setAttempts(p.attempts()).setForgotten(p.forgotten())));
    if (view.abortReason() != null) {
      b.setAbortReason(abortReason(view.abortReason()));
    }
    return b.build();
  }
}
