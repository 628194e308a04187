package io.pledge.coordinator.state;

import java.util.List;

/** What the state machine asks its adapters (log, participant channel, clients) to do. */
public sealed interface Effect {

  /** Write (not force) the participant list, so that recovery can tell them the outcome; then IntentLogged. */
  record LogIntent(List<Participant> participants, boolean onePhase) implements Effect {
    public LogIntent {
      participants = List.copyOf(participants);
    }
  }

  record SendPrepare(Participant participant) implements Effect {}

  /** Commit with {@code one_phase}; {@code attempt} 0 is the first send, later ones follow a backoff. */
  record SendOnePhaseCommit(Participant participant, int attempt) implements Effect {}

  /**
   * Force the commit decision with the participants phase 2 must reach; then DecisionLogged. {@code attempt} 0 is
   * the first try; a failed force is tried again after a backoff (see {@link TxEvent.DecisionLogFailed}).
   */
  record ForceCommitRecord(List<Participant> participants, int attempt) implements Effect {
    public ForceCommitRecord {
      participants = List.copyOf(participants);
    }

    public ForceCommitRecord(List<Participant> participants) {
      this(participants, 0);
    }
  }

  record SendCommit(Participant participant, int attempt) implements Effect {}

  record SendRollback(Participant participant, int attempt) implements Effect {}

  /** The outcome is decided (and, for a commit, durable): answer waiting clients. */
  record Decided(Outcome outcome, AbortReason reason) implements Effect {}

  /**
   * Every participant is done: write the END record (not forced, when an intent was logged) and let go. With
   * {@code forgotten} participants (an operator ended phase 2 without their acknowledgement) the END names them and
   * is forced: the operator is answered once it is durable.
   */
  record Finished(Outcome outcome, AbortReason reason, boolean intentLogged, List<Participant> forgotten)
      implements Effect {
    public Finished {
      forgotten = List.copyOf(forgotten);
    }

    public Finished(Outcome outcome, AbortReason reason, boolean intentLogged) {
      this(outcome, reason, intentLogged, List.of());
    }
  }
}
