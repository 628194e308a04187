package io.pledge.coordinator.state;

import io.pledge.coordinator.state.Effect.Decided;
import io.pledge.coordinator.state.Effect.Finished;
import io.pledge.coordinator.state.Effect.ForceCommitRecord;
import io.pledge.coordinator.state.Effect.LogIntent;
import io.pledge.coordinator.state.Effect.SendCommit;
import io.pledge.coordinator.state.Effect.SendOnePhaseCommit;
import io.pledge.coordinator.state.Effect.SendPrepare;
import io.pledge.coordinator.state.Effect.SendRollback;
import io.pledge.coordinator.state.Result.Applied;
import io.pledge.coordinator.state.Result.Ignored;
import io.pledge.coordinator.state.Result.Rejected;
import io.pledge.coordinator.state.TxEvent.CommitRequested;
import io.pledge.coordinator.state.TxEvent.CoordinatorRestarted;
import io.pledge.coordinator.state.TxEvent.DecisionLogFailed;
import io.pledge.coordinator.state.TxEvent.DecisionLogged;
import io.pledge.coordinator.state.TxEvent.Enlist;
import io.pledge.coordinator.state.TxEvent.IntentLogFailed;
import io.pledge.coordinator.state.TxEvent.IntentLogged;
import io.pledge.coordinator.state.TxEvent.OnePhaseFailed;
import io.pledge.coordinator.state.TxEvent.OnePhaseFinished;
import io.pledge.coordinator.state.TxEvent.PhaseTwoAcked;
import io.pledge.coordinator.state.TxEvent.PhaseTwoFailed;
import io.pledge.coordinator.state.TxEvent.PrepareFailed;
import io.pledge.coordinator.state.TxEvent.PrepareTimedOut;
import io.pledge.coordinator.state.TxEvent.ResolutionRequested;
import io.pledge.coordinator.state.TxEvent.RollbackRequested;
import io.pledge.coordinator.state.TxEvent.TimedOut;
import io.pledge.coordinator.state.TxEvent.VoteReceived;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One transaction's two-phase commit (Gray &amp; Lamport, "Consensus on Transaction Commit", 2006) with presumed abort
 * (Mohan, Lindsay &amp; Obermarck, "Transaction Management in the R* Distributed Database Management System", 1986):
 * only the commit decision is forced; an abort needs no log record, because no record means abort.
 *
 * <p>Pure: it takes {@link TxEvent}s and returns {@link Effect}s, with no I/O, clock or threads. It is not
 * thread-safe: one thread (the coordinator's event loop) owns it. Every state change goes through
 * {@link #moveTo}, which enforces {@link TxState#canFollow}.
 *
 * <p>Optimizations: a single participant gets a one-phase commit (no prepare, no forced record); read-only voters
 * take no part in phase 2; a transaction whose votes are all read-only commits without any log record.
 *
 * <p>Operators resolve stuck transactions by hand ({@link ResolutionRequested}), the way Narayana's and Seata's
 * consoles do, but never against atomicity: an undecided transaction may only be rolled back; a decided one may
 * only be ended with its own outcome, which forgets (a field of the branch, not a state) the participants that did
 * not acknowledge: a heuristic completion the operator answers for.
 */
public final class Transaction {

  /** Per-participant progress. */
  private static final class Branch {
    final Participant participant;
    Vote vote;
    boolean finished;
    /** Ended by an operator without this participant's acknowledgement. */
    boolean forgotten;
    int attempts;

    Branch(Participant participant) {
      this.participant = participant;
    }
  }

  private final TxId id;
  private final long begunAtMillis;
  private final long deadlineMillis;
  private final Map<String, String> labels;
  /** The identity that began it (docs/security.md); empty when none was known. Not protocol state: a label. */
  private final String owner;
  private final Map<String, Branch> branches = new LinkedHashMap<>();
  private TxState state = TxState.ACTIVE;
  private boolean commitRequested;
  private boolean onePhase;
  private boolean intentLogged;
  private int decisionAttempts;
  private AbortReason abortReason;

  public Transaction(TxId id, long begunAtMillis, long deadlineMillis, Map<String, String> labels) {
    this(id, begunAtMillis, deadlineMillis, labels, "");
  }

  public Transaction(TxId id, long begunAtMillis, long deadlineMillis, Map<String, String> labels, String owner) {
    this.id = Objects.requireNonNull(id, "id");
    this.begunAtMillis = begunAtMillis;
    this.deadlineMillis = deadlineMillis;
    this.labels = Map.copyOf(labels);
    this.owner = owner == null ? "" : owner;
  }

  public Result apply(TxEvent event) {
    // Java 17 has no pattern switch; the chain is exhaustive over the sealed TxEvent.
    if (event instanceof Enlist e) {
      return enlist(e.participant());
    } else if (event instanceof CommitRequested e) {
      return commitRequested(e.expectedParticipants());
    } else if (event instanceof RollbackRequested) {
      return rollbackRequested();
    } else if (event instanceof IntentLogged) {
      return intentLogged();
    } else if (event instanceof IntentLogFailed e) {
      return intentLogFailed(e.detail());
    } else if (event instanceof VoteReceived e) {
      return vote(e.participantId(), e.vote(), e.reason());
    } else if (event instanceof PrepareFailed e) {
      return prepareFailed(e);
    } else if (event instanceof PrepareTimedOut) {
      return prepareTimedOut();
    } else if (event instanceof DecisionLogged) {
      return decisionLogged();
    } else if (event instanceof DecisionLogFailed e) {
      return decisionLogFailed(e.detail());
    } else if (event instanceof OnePhaseFinished e) {
      return onePhaseFinished(e);
    } else if (event instanceof OnePhaseFailed) {
      return onePhaseFailed();
    } else if (event instanceof PhaseTwoAcked e) {
      return phaseTwoAcked(e.participantId());
    } else if (event instanceof PhaseTwoFailed e) {
      return phaseTwoFailed(e.participantId());
    } else if (event instanceof TimedOut) {
      return timedOut();
    } else if (event instanceof CoordinatorRestarted) {
      return coordinatorRestarted();
    } else if (event instanceof ResolutionRequested e) {
      return resolutionRequested(e.outcome(), e.note());
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  private Result enlist(Participant p) {
    Branch existing = branches.get(p.id());
    if (existing != null) {
      return existing.participant.endpoint().equals(p.endpoint())
          ? new Ignored("participant " + p.id() + " already enlisted")
          : new Rejected("participant " + p.id() + " is already enlisted with endpoint "
              + existing.participant.endpoint() + ", not " + p.endpoint());
    }
    if (state != TxState.ACTIVE) {
      return new Rejected("cannot enlist participant " + p.id() + ": transaction " + id + " is " + state
          + " (enlisting is only possible while it is ACTIVE)");
    }
    branches.put(p.id(), new Branch(p));
    return new Applied(List.of());
  }

  private Result commitRequested(java.util.Set<String> expected) {
    if (state != TxState.ACTIVE) {
      if (commitRequested) {
        return new Ignored("commit already requested; transaction is " + state);
      }
      return new Rejected("cannot commit transaction " + id + ": it is " + state
          + (abortReason == null ? "" : " (" + abortReason + ")"));
    }
    commitRequested = true;
    List<String> missing = expected.stream().filter(p -> !branches.containsKey(p)).sorted().toList();
    if (!missing.isEmpty()) {
      // Committing the others would apply part of the work: the client expected these and they never joined.
      return abort(new AbortReason(AbortCause.PARTICIPANT_MISSING, missing.get(0), "expected participant(s) "
          + String.join(", ", missing) + " never enlisted: a call to it failed or never reached it"));
    }
    if (branches.isEmpty()) {
      moveTo(TxState.COMMITTED);
      return new Applied(List.of(new Decided(Outcome.COMMITTED, null), new Finished(Outcome.COMMITTED, null, false)));
    }
    moveTo(TxState.PREPARING);
    onePhase = branches.size() == 1;
    return new Applied(List.of(new LogIntent(participants(), onePhase)));
  }

  private Result rollbackRequested() {
    if (state == TxState.PREPARING && onePhase && intentLogged) {
      // The one-phase commit is out: the participant may already have committed, so only its answer decides.
      return new Rejected("cannot roll back transaction " + id + ": it is " + state
          + " (its one-phase commit was sent to " + branches.keySet().iterator().next() + ", which decides)");
    }
    return switch (state) {
      case ACTIVE, PREPARING -> abort(AbortReason.of(AbortCause.ROLLBACK_REQUESTED, "rollback requested by client"));
      case ROLLING_BACK, ROLLED_BACK -> new Ignored("already aborted");
      default -> new Rejected("cannot roll back transaction " + id + ": it is " + state
          + (state == TxState.PREPARED ? " (the commit decision is being logged)" : ""));
    };
  }

  private Result intentLogged() {
    if (state != TxState.PREPARING || intentLogged) {
      return new Ignored("intent logged while " + state);
    }
    intentLogged = true;
    List<Effect> effects = new ArrayList<>();
    if (onePhase) {
      effects.add(new SendOnePhaseCommit(branches.values().iterator().next().participant, 0));
    } else {
      branches.values().forEach(b -> effects.add(new SendPrepare(b.participant)));
    }
    return new Applied(effects);
  }

  private Result intentLogFailed(String detail) {
    if (state != TxState.PREPARING || intentLogged) {
      return new Ignored("intent log failure while " + state);
    }
    return abort(AbortReason.of(AbortCause.PREPARE_FAILED, "the participant list could not be logged: " + detail));
  }

  private Result vote(String participantId, Vote vote, String reason) {
    Branch b = branches.get(participantId);
    if (b == null) {
      return new Ignored("vote from unknown participant " + participantId);
    }
    if (state != TxState.PREPARING || onePhase || b.vote != null) {
      return new Ignored("late or duplicate vote from " + participantId + " while " + state);
    }
    b.vote = vote;
    if (vote == Vote.NO) {
      return abort(new AbortReason(AbortCause.VOTED_NO, participantId, reason));
    }
    if (vote == Vote.READ_ONLY) {
      b.finished = true;
    }
    if (branches.values().stream().anyMatch(x -> x.vote == null)) {
      return new Applied(List.of());
    }
    List<Participant> toCommit = yesVoters();
    if (toCommit.isEmpty()) {
      moveTo(TxState.COMMITTED);
      return new Applied(List.of(new Decided(Outcome.COMMITTED, null),
          new Finished(Outcome.COMMITTED, null, intentLogged)));
    }
    moveTo(TxState.PREPARED);
    return new Applied(List.of(new ForceCommitRecord(toCommit)));
  }

  private List<Participant> yesVoters() {
    return branches.values().stream().filter(x -> x.vote == Vote.YES).map(x -> x.participant).toList();
  }

  private Result prepareFailed(PrepareFailed e) {
    Branch b = branches.get(e.participantId());
    if (b == null || state != TxState.PREPARING || onePhase || b.vote != null) {
      return new Ignored("late prepare failure from " + e.participantId());
    }
    b.vote = Vote.NO;
    return abort(new AbortReason(AbortCause.PREPARE_FAILED, e.participantId(), e.detail()));
  }

  private Result prepareTimedOut() {
    if (state != TxState.PREPARING || onePhase) {
      return new Ignored("prepare timeout while " + state);
    }
    String silent = branches.values().stream().filter(b -> b.vote == null).map(b -> b.participant.id())
        .findFirst().orElse("");
    return abort(new AbortReason(AbortCause.PREPARE_TIMEOUT, silent, "no vote within the prepare timeout"));
  }

  private Result decisionLogged() {
    if (state != TxState.PREPARED) {
      return new Ignored("decision logged while " + state);
    }
    moveTo(TxState.COMMITTING);
    List<Effect> effects = new ArrayList<>();
    effects.add(new Decided(Outcome.COMMITTED, null));
    branches.values().stream().filter(b -> !b.finished).forEach(b -> effects.add(new SendCommit(b.participant, 0)));
    return new Applied(effects);
  }

  private Result decisionLogFailed(String detail) {
    if (state != TxState.PREPARED) {
      return new Ignored("decision log failure while " + state);
    }
    // Not an abort: a failed force may still have left the record on disk, and recovery would then commit.
    decisionAttempts++;
    return new Applied(List.of(new ForceCommitRecord(yesVoters(), decisionAttempts)));
  }

  private Result onePhaseFinished(OnePhaseFinished e) {
    if (state != TxState.PREPARING || !onePhase || !intentLogged) {
      return new Ignored("one-phase result while " + state);
    }
    Branch only = branches.values().iterator().next();
    only.finished = true;
    only.vote = e.outcome() == Outcome.COMMITTED ? Vote.YES : Vote.NO;
    if (e.outcome() == Outcome.COMMITTED) {
      moveTo(TxState.COMMITTED);
      return new Applied(List.of(new Decided(Outcome.COMMITTED, null), new Finished(Outcome.COMMITTED, null, true)));
    }
    abortReason = new AbortReason(AbortCause.VOTED_NO, only.participant.id(), e.reason());
    moveTo(TxState.ROLLED_BACK);
    return new Applied(List.of(new Decided(Outcome.ABORTED, abortReason),
        new Finished(Outcome.ABORTED, abortReason, true)));
  }

  private Result onePhaseFailed() {
    if (state != TxState.PREPARING || !onePhase || !intentLogged) {
      return new Ignored("one-phase failure while " + state);
    }
    // The outcome belongs to the participant now: keep asking it until it answers (it answers idempotently).
    Branch only = branches.values().iterator().next();
    only.attempts++;
    return new Applied(List.of(new SendOnePhaseCommit(only.participant, only.attempts)));
  }

  private Result phaseTwoAcked(String participantId) {
    Branch b = branches.get(participantId);
    if (b == null || b.finished || (state != TxState.COMMITTING && state != TxState.ROLLING_BACK)) {
      return new Ignored("phase-2 ack from " + participantId + " while " + state);
    }
    b.finished = true;
    if (branches.values().stream().anyMatch(x -> !x.finished)) {
      return new Applied(List.of());
    }
    Outcome outcome = state.outcome();
    moveTo(state == TxState.COMMITTING ? TxState.COMMITTED : TxState.ROLLED_BACK);
    return new Applied(List.of(new Finished(outcome, abortReason, intentLogged)));
  }

  private Result phaseTwoFailed(String participantId) {
    Branch b = branches.get(participantId);
    if (b == null || b.finished || (state != TxState.COMMITTING && state != TxState.ROLLING_BACK)) {
      return new Ignored("phase-2 failure from " + participantId + " while " + state);
    }
    b.attempts++;
    Effect retry = state == TxState.COMMITTING
        ? new SendCommit(b.participant, b.attempts)
        : new SendRollback(b.participant, b.attempts);
    return new Applied(List.of(retry));
  }

  private Result timedOut() {
    if (state != TxState.ACTIVE) {
      return new Ignored("timeout while " + state);
    }
    return abort(AbortReason.of(AbortCause.TRANSACTION_TIMEOUT, "commit was not requested before the deadline"));
  }

  private Result coordinatorRestarted() {
    if (state != TxState.PREPARING || onePhase) {
      return new Ignored("restart while " + state + (onePhase ? " (one-phase commit is driven again)" : ""));
    }
    return abort(AbortReason.of(AbortCause.COORDINATOR_RESTARTED,
        "the coordinator restarted before the commit decision was logged (presumed abort)"));
  }

  private Result resolutionRequested(Outcome outcome, String note) {
    boolean commit = outcome == Outcome.COMMITTED;
    return switch (state) {
      case ACTIVE, PREPARING -> {
        if (commit) {
          yield new Rejected("cannot commit transaction " + id + " by hand: it is " + state + " and undecided: no"
              + " commit record exists and " + whyUndecided() + "; only rollback is possible");
        }
        if (state == TxState.PREPARING && onePhase && intentLogged) {
          yield new Rejected("cannot roll back transaction " + id + ": it is PREPARING with a one-phase commit sent"
              + " to " + branches.keySet().iterator().next() + ", which decides the outcome; the coordinator keeps"
              + " asking it");
        }
        yield abort(AbortReason.of(AbortCause.OPERATOR,
            "rolled back by an operator" + (note.isEmpty() ? "" : ": " + note)));
      }
      case PREPARED -> commit
          ? new Ignored("already committing by itself: every participant voted yes and the commit decision is being"
              + " forced to the log")
          : new Rejected("cannot roll back transaction " + id + ": it is PREPARED, every participant voted yes and"
              + " the commit decision is being forced to the log; a decision cannot be reversed");
      case COMMITTING, ROLLING_BACK -> outcome == state.outcome() ? forgetUnacknowledged()
          : new Rejected("cannot " + (commit ? "commit" : "roll back") + " transaction " + id + ": it decided "
              + (commit ? "ROLLBACK (" + abortReason + ")" : "COMMIT, logged") + "; a decision cannot be reversed"
              + " (resolving it with " + (commit ? "rollback" : "commit") + " stops waiting for "
              + String.join(", ", unacknowledged()) + ")");
      case COMMITTED, ROLLED_BACK -> new Rejected("transaction " + id + " is already " + state
          + " (finished): there is nothing to resolve");
    };
  }

  private String whyUndecided() {
    if (state == TxState.ACTIVE) {
      return "commit was never requested, so no participant has voted";
    }
    if (onePhase) {
      return "its single participant " + branches.keySet().iterator().next() + " decides a one-phase commit itself";
    }
    List<String> silent = branches.values().stream().filter(b -> b.vote != Vote.YES && b.vote != Vote.READ_ONLY)
        .map(b -> b.participant.id()).toList();
    return "not every participant voted yes (no vote from " + String.join(", ", silent) + ")";
  }

  private List<String> unacknowledged() {
    return branches.values().stream().filter(b -> !b.finished).map(b -> b.participant.id()).toList();
  }

  /** Ends phase 2 with the decided outcome: the participants still unacknowledged are the operator's now. */
  private Result forgetUnacknowledged() {
    List<Participant> forgotten = new ArrayList<>();
    for (Branch b : branches.values()) {
      if (!b.finished) {
        b.finished = true;
        b.forgotten = true;
        forgotten.add(b.participant);
      }
    }
    Outcome outcome = state.outcome();
    moveTo(state == TxState.COMMITTING ? TxState.COMMITTED : TxState.ROLLED_BACK);
    return new Applied(List.of(new Finished(outcome, abortReason, intentLogged, forgotten)));
  }

  /** Decides abort: every participant that is not known to be done is told to roll back. */
  private Result abort(AbortReason reason) {
    abortReason = reason;
    List<Effect> effects = new ArrayList<>();
    effects.add(new Decided(Outcome.ABORTED, reason));
    List<Branch> toTell = branches.values().stream()
        .filter(b -> b.vote != Vote.READ_ONLY && !b.finished).toList();
    branches.values().stream().filter(b -> b.vote == Vote.READ_ONLY).forEach(b -> b.finished = true);
    if (toTell.isEmpty()) {
      moveTo(TxState.ROLLED_BACK);
      effects.add(new Finished(Outcome.ABORTED, reason, intentLogged));
    } else {
      moveTo(TxState.ROLLING_BACK);
      toTell.forEach(b -> effects.add(new SendRollback(b.participant, 0)));
    }
    return new Applied(effects);
  }

  private void moveTo(TxState next) {
    if (!next.canFollow(state)) {
      throw new IllegalStateException("illegal transition " + state + " -> " + next + " for transaction " + id);
    }
    state = next;
  }

  public TxId id() {
    return id;
  }

  public TxState state() {
    return state;
  }

  public boolean isOnePhase() {
    return onePhase;
  }

  public boolean isCommitRequested() {
    return commitRequested;
  }

  public long begunAtMillis() {
    return begunAtMillis;
  }

  public long deadlineMillis() {
    return deadlineMillis;
  }

  public Map<String, String> labels() {
    return labels;
  }

  /** The identity that began the transaction; empty when none was known. */
  public String owner() {
    return owner;
  }

  /** Null unless aborted. */
  public AbortReason abortReason() {
    return abortReason;
  }

  public List<Participant> participants() {
    return branches.values().stream().map(b -> b.participant).toList();
  }

  /** A read-only view of each participant's progress, for GetTransaction and the admin tools. */
  public List<ParticipantView> participantViews() {
    Collection<Branch> all = branches.values();
    return all.stream().map(b -> new ParticipantView(b.participant, b.vote, b.finished, b.attempts, b.forgotten))
        .toList();
  }

  /**
   * @param vote null until the participant voted
   * @param forgotten an operator ended the transaction without this participant's acknowledgement
   */
  public record ParticipantView(Participant participant, Vote vote, boolean finished, int attempts,
      boolean forgotten) {

    public ParticipantView(Participant participant, Vote vote, boolean finished, int attempts) {
      this(participant, vote, finished, attempts, false);
    }
  }
}
