package io.pledge.coordinator.state;

import java.util.Objects;

/** What can happen to a transaction. Every event may arrive twice or late; {@link Transaction#apply} copes. */
public sealed interface TxEvent {

  record Enlist(Participant participant) implements TxEvent {
    public Enlist {
      Objects.requireNonNull(participant, "participant");
    }
  }

  /**
   * The client asks to commit.
   *
   * @param expectedParticipants participant ids the client expects to have enlisted; a missing one aborts the
   *     transaction instead of committing the others (empty: no expectation)
   */
  record CommitRequested(java.util.Set<String> expectedParticipants) implements TxEvent {
    public CommitRequested {
      expectedParticipants = java.util.Set.copyOf(expectedParticipants);
    }

    public CommitRequested() {
      this(java.util.Set.of());
    }
  }

  record RollbackRequested() implements TxEvent {}

  /** The intent record (participant list) is written: prepares (or the one-phase commit) may go out. */
  record IntentLogged() implements TxEvent {}

  /** The intent record could not be written: no prepare went out, so the transaction aborts. */
  record IntentLogFailed(String detail) implements TxEvent {}

  record VoteReceived(String participantId, Vote vote, String reason) implements TxEvent {
    public VoteReceived {
      Objects.requireNonNull(participantId, "participantId");
      Objects.requireNonNull(vote, "vote");
      reason = reason == null ? "" : reason;
    }
  }

  /** Prepare failed at or on the way to the participant: counts as a no vote. */
  record PrepareFailed(String participantId, String detail) implements TxEvent {
    public PrepareFailed {
      Objects.requireNonNull(participantId, "participantId");
    }
  }

  /** The prepare timeout passed with votes missing. */
  record PrepareTimedOut() implements TxEvent {}

  /** The commit record is forced: the decision is durable. */
  record DecisionLogged() implements TxEvent {}

  /**
   * Forcing the commit record failed. The record may be on disk all the same (a commit that succeeded before a
   * failed sync), so the decision is unknown rather than abort: the force is tried again until it succeeds.
   */
  record DecisionLogFailed(String detail) implements TxEvent {}

  /** The single participant answered the one-phase commit: COMMITTED or ABORTED. */
  record OnePhaseFinished(Outcome outcome, String reason) implements TxEvent {
    public OnePhaseFinished {
      if (outcome == Outcome.PENDING) {
        throw new IllegalArgumentException("a one-phase commit ends committed or aborted");
      }
    }
  }

  /** The one-phase commit got no definite answer (unreachable, error): it is sent again. */
  record OnePhaseFailed(String detail) implements TxEvent {}

  record PhaseTwoAcked(String participantId) implements TxEvent {}

  /** A phase-2 message was not acknowledged: it is sent again after a backoff. */
  record PhaseTwoFailed(String participantId, String detail) implements TxEvent {}

  /** The transaction outlived its timeout. */
  record TimedOut() implements TxEvent {}

  /** Recovery: the coordinator restarted while this undecided transaction was preparing. */
  record CoordinatorRestarted() implements TxEvent {}

  /**
   * An operator resolves the transaction by hand with {@code outcome}: ABORTED rolls back an undecided transaction;
   * the outcome already decided ends phase 2 now, forgetting the participants that did not acknowledge. Nothing
   * may contradict a decision (see {@link Transaction}).
   *
   * @param note the operator's reason, for the abort detail and the logs (may be empty)
   */
  record ResolutionRequested(Outcome outcome, String note) implements TxEvent {
    public ResolutionRequested {
      if (outcome == null || outcome == Outcome.PENDING) {
        throw new IllegalArgumentException("an operator resolves a transaction to COMMITTED or ABORTED");
      }
      note = note == null ? "" : note;
    }
  }
}
