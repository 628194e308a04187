package io.pledge.coordinator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.pledge.coordinator.state.Transaction.ParticipantView;
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
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TransactionTest {

  static final Participant A = participant("a");
  static final Participant B = participant("b");
  static final Participant C = participant("c");

  static Participant participant(String id) {
    return new Participant(id, id + ".pledge.test:7500");
  }

  static Transaction active(Participant... participants) {
    Transaction tx = new Transaction(new TxId("coord-1", 1, 1), 1_000, 31_000, Map.of());
    for (Participant p : participants) {
      assertEquals(List.of(), applied(tx, new Enlist(p)));
    }
    return tx;
  }

  /** Commit requested and the intent logged: prepares (or the one-phase commit) are out. */
  static Transaction preparing(Participant... participants) {
    Transaction tx = active(participants);
    applied(tx, new CommitRequested());
    applied(tx, new IntentLogged());
    assertEquals(TxState.PREPARING, tx.state());
    return tx;
  }

  /** Every participant voted yes: the commit record is being forced. */
  static Transaction prepared(Participant... participants) {
    Transaction tx = preparing(participants);
    for (Participant p : participants) {
      applied(tx, yes(p));
    }
    assertEquals(TxState.PREPARED, tx.state());
    return tx;
  }

  static Transaction committing(Participant... participants) {
    Transaction tx = prepared(participants);
    applied(tx, new DecisionLogged());
    assertEquals(TxState.COMMITTING, tx.state());
    return tx;
  }

  static Transaction committed(Participant... participants) {
    Transaction tx = committing(participants);
    for (Participant p : participants) {
      applied(tx, new PhaseTwoAcked(p.id()));
    }
    assertEquals(TxState.COMMITTED, tx.state());
    return tx;
  }

  static Transaction rollingBack(Participant... participants) {
    Transaction tx = active(participants);
    applied(tx, new RollbackRequested());
    assertEquals(TxState.ROLLING_BACK, tx.state());
    return tx;
  }

  static Transaction rolledBack(Participant... participants) {
    Transaction tx = active(participants);
    applied(tx, new RollbackRequested());
    for (Participant p : participants) {
      applied(tx, new PhaseTwoAcked(p.id()));
    }
    assertEquals(TxState.ROLLED_BACK, tx.state());
    return tx;
  }

  static VoteReceived yes(Participant p) {
    return new VoteReceived(p.id(), Vote.YES, "");
  }

  static VoteReceived no(Participant p, String reason) {
    return new VoteReceived(p.id(), Vote.NO, reason);
  }

  static VoteReceived readOnly(Participant p) {
    return new VoteReceived(p.id(), Vote.READ_ONLY, "");
  }

  static List<Effect> applied(Transaction tx, TxEvent event) {
    return assertInstanceOf(Applied.class, tx.apply(event), () -> event + " while " + tx.state()).effects();
  }

  static String rejected(Transaction tx, TxEvent event) {
    Snapshot before = Snapshot.of(tx);
    String message = assertInstanceOf(Rejected.class, tx.apply(event), () -> event + " while " + tx.state()).message();
    assertEquals(before, Snapshot.of(tx), "a rejected event changed the transaction");
    return message;
  }

  /** The event, and the same event again, are ignored and change nothing. */
  static void assertIgnored(Transaction tx, TxEvent event) {
    Snapshot before = Snapshot.of(tx);
    for (int i = 0; i < 2; i++) {
      assertInstanceOf(Ignored.class, tx.apply(event), () -> event + " while " + tx.state());
      assertEquals(before, Snapshot.of(tx), () -> "ignored " + event + " changed the transaction");
    }
  }

  static AbortReason decidedAbort(List<Effect> effects) {
    Decided decided = assertInstanceOf(Decided.class, effects.get(0), effects::toString);
    assertEquals(Outcome.ABORTED, decided.outcome());
    return decided.reason();
  }

  static List<Effect> rollbacks(Participant... participants) {
    return List.of(participants).stream().<Effect>map(p -> new SendRollback(p, 0)).toList();
  }

  static List<Effect> concat(Effect first, List<Effect> rest) {
    List<Effect> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all;
  }

  record Snapshot(TxState state, AbortReason reason, List<ParticipantView> participants, boolean commitRequested,
      boolean onePhase) {
    static Snapshot of(Transaction tx) {
      return new Snapshot(tx.state(), tx.abortReason(), tx.participantViews(), tx.isCommitRequested(),
          tx.isOnePhase());
    }
  }

  @Nested
  class Commit {

    @Test
    void withoutParticipantsCommitsAtOnceWithoutAnyLogRecord() {
      Transaction tx = active();
      assertEquals(List.of(new Decided(Outcome.COMMITTED, null), new Finished(Outcome.COMMITTED, null, false)),
          applied(tx, new CommitRequested()));
      assertEquals(TxState.COMMITTED, tx.state());
      assertTrue(tx.isCommitRequested());
      assertNull(tx.abortReason());
    }

    @Test
    void twoPhaseHappyPath() {
      Transaction tx = active(A, B, C);
      assertEquals(List.of(new LogIntent(List.of(A, B, C), false)), applied(tx, new CommitRequested()));
      assertEquals(TxState.PREPARING, tx.state());
      assertFalse(tx.isOnePhase());

      assertEquals(List.of(new SendPrepare(A), new SendPrepare(B), new SendPrepare(C)),
          applied(tx, new IntentLogged()));
      assertEquals(List.of(), applied(tx, yes(B)));
      assertEquals(List.of(), applied(tx, yes(A)));
      assertEquals(TxState.PREPARING, tx.state());
      assertEquals(List.of(new ForceCommitRecord(List.of(A, B, C))), applied(tx, yes(C)));
      assertEquals(TxState.PREPARED, tx.state());

      assertEquals(List.of(new Decided(Outcome.COMMITTED, null), new SendCommit(A, 0), new SendCommit(B, 0),
          new SendCommit(C, 0)), applied(tx, new DecisionLogged()));
      assertEquals(TxState.COMMITTING, tx.state());

      assertEquals(List.of(), applied(tx, new PhaseTwoAcked("c")));
      assertEquals(List.of(), applied(tx, new PhaseTwoAcked("a")));
      assertEquals(TxState.COMMITTING, tx.state());
      assertEquals(List.of(new Finished(Outcome.COMMITTED, null, true)), applied(tx, new PhaseTwoAcked("b")));
      assertEquals(TxState.COMMITTED, tx.state());
      assertNull(tx.abortReason());
    }

    @Test
    void readOnlyVotersTakeNoPartInPhaseTwo() {
      Transaction tx = preparing(A, B, C);
      applied(tx, readOnly(A));
      applied(tx, yes(B));
      assertEquals(List.of(new ForceCommitRecord(List.of(B))), applied(tx, readOnly(C)));
      assertEquals(List.of(new Decided(Outcome.COMMITTED, null), new SendCommit(B, 0)),
          applied(tx, new DecisionLogged()));
      assertIgnored(tx, new PhaseTwoAcked("a"));
      assertEquals(List.of(new Finished(Outcome.COMMITTED, null, true)), applied(tx, new PhaseTwoAcked("b")));
    }

    @Test
    void allReadOnlyCommitsWithoutForcedRecord() {
      Transaction tx = preparing(A, B);
      assertEquals(List.of(), applied(tx, readOnly(A)));
      assertEquals(List.of(new Decided(Outcome.COMMITTED, null), new Finished(Outcome.COMMITTED, null, true)),
          applied(tx, readOnly(B)));
      assertEquals(TxState.COMMITTED, tx.state());
      assertIgnored(tx, new DecisionLogged());
    }

    @Test
    void onePhaseCommitted() {
      Transaction tx = active(A);
      assertEquals(List.of(new LogIntent(List.of(A), true)), applied(tx, new CommitRequested()));
      assertTrue(tx.isOnePhase());
      assertEquals(List.of(new SendOnePhaseCommit(A, 0)), applied(tx, new IntentLogged()));
      assertEquals(List.of(new Decided(Outcome.COMMITTED, null), new Finished(Outcome.COMMITTED, null, true)),
          applied(tx, new OnePhaseFinished(Outcome.COMMITTED, "")));
      assertEquals(TxState.COMMITTED, tx.state());
      assertIgnored(tx, new OnePhaseFinished(Outcome.COMMITTED, ""));
      assertIgnored(tx, new OnePhaseFinished(Outcome.ABORTED, "late"));
    }

    @Test
    void onePhaseAbortedByTheParticipant() {
      Transaction tx = preparing(A);
      AbortReason reason = new AbortReason(AbortCause.VOTED_NO, "a", "unique constraint violated");
      assertEquals(List.of(new Decided(Outcome.ABORTED, reason), new Finished(Outcome.ABORTED, reason, true)),
          applied(tx, new OnePhaseFinished(Outcome.ABORTED, "unique constraint violated")));
      assertEquals(TxState.ROLLED_BACK, tx.state());
      assertEquals(reason, tx.abortReason());
      assertIgnored(tx, new OnePhaseFinished(Outcome.COMMITTED, ""));
    }

    @Test
    void onePhaseFailureResendsWithIncreasingAttempt() {
      Transaction tx = preparing(A);
      for (int attempt = 1; attempt <= 3; attempt++) {
        assertEquals(List.of(new SendOnePhaseCommit(A, attempt)), applied(tx, new OnePhaseFailed("unavailable")));
        assertEquals(TxState.PREPARING, tx.state());
      }
      assertEquals(3, tx.participantViews().get(0).attempts());
      applied(tx, new OnePhaseFinished(Outcome.COMMITTED, ""));
      assertIgnored(tx, new OnePhaseFailed("late"));
    }

    @Test
    void phaseTwoCommitFailureResendsWithIncreasingAttempt() {
      Transaction tx = committing(A, B);
      assertEquals(List.of(new SendCommit(A, 1)), applied(tx, new PhaseTwoFailed("a", "unavailable")));
      assertEquals(List.of(new SendCommit(A, 2)), applied(tx, new PhaseTwoFailed("a", "unavailable")));
      assertEquals(List.of(new SendCommit(B, 1)), applied(tx, new PhaseTwoFailed("b", "deadline exceeded")));
      applied(tx, new PhaseTwoAcked("a"));
      assertIgnored(tx, new PhaseTwoFailed("a", "late"));
      assertEquals(TxState.COMMITTING, tx.state());
    }
  }

  @Nested
  class Abort {

    @Test
    void rollbackWithoutParticipantsFinishesAtOnce() {
      Transaction tx = active();
      List<Effect> effects = applied(tx, new RollbackRequested());
      AbortReason reason = decidedAbort(effects);
      assertEquals(AbortCause.ROLLBACK_REQUESTED, reason.cause());
      assertEquals(List.of(new Decided(Outcome.ABORTED, reason), new Finished(Outcome.ABORTED, reason, false)),
          effects);
      assertEquals(TxState.ROLLED_BACK, tx.state());
    }

    @Test
    void rollbackWhileActiveTellsEveryParticipant() {
      Transaction tx = active(A, B);
      List<Effect> effects = applied(tx, new RollbackRequested());
      AbortReason reason = decidedAbort(effects);
      assertEquals(new AbortReason(AbortCause.ROLLBACK_REQUESTED, "", "rollback requested by client"), reason);
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B)), effects);
      assertEquals(TxState.ROLLING_BACK, tx.state());
      assertEquals(List.of(), applied(tx, new PhaseTwoAcked("b")));
      assertEquals(List.of(new Finished(Outcome.ABORTED, reason, false)), applied(tx, new PhaseTwoAcked("a")));
      assertEquals(TxState.ROLLED_BACK, tx.state());
    }

    @Test
    void rollbackWhilePreparingAbortsTwoPhase() {
      Transaction tx = preparing(A, B, C);
      applied(tx, yes(A));
      applied(tx, readOnly(B));
      List<Effect> effects = applied(tx, new RollbackRequested());
      AbortReason reason = decidedAbort(effects);
      assertEquals(AbortCause.ROLLBACK_REQUESTED, reason.cause());
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, C)), effects);
      assertEquals(TxState.ROLLING_BACK, tx.state());
      applied(tx, new PhaseTwoAcked("a"));
      assertEquals(List.of(new Finished(Outcome.ABORTED, reason, true)), applied(tx, new PhaseTwoAcked("c")));
    }

    @Test
    void rollbackBeforeTheOnePhaseCommitIsSentAborts() {
      Transaction tx = active(A);
      applied(tx, new CommitRequested());
      List<Effect> effects = applied(tx, new RollbackRequested());
      assertEquals(concat(new Decided(Outcome.ABORTED, decidedAbort(effects)), rollbacks(A)), effects);
      assertIgnored(tx, new IntentLogged());
    }

    @Test
    void rollbackAfterTheOnePhaseCommitIsSentIsRejected() {
      Transaction tx = preparing(A);
      String message = rejected(tx, new RollbackRequested());
      assertTrue(message.contains("PREPARING"), message);
      assertEquals(List.of(new Decided(Outcome.COMMITTED, null), new Finished(Outcome.COMMITTED, null, true)),
          applied(tx, new OnePhaseFinished(Outcome.COMMITTED, "")));
    }

    @Test
    void rollbackOfAnAbortedTransactionIsIgnored() {
      assertIgnored(rollingBack(A), new RollbackRequested());
      assertIgnored(rolledBack(A), new RollbackRequested());
      assertIgnored(rolledBack(), new RollbackRequested());
    }

    @Test
    void rollbackOnceTheCommitIsUnderwayIsRejectedNamingTheState() {
      String prepared = rejected(prepared(A, B), new RollbackRequested());
      assertTrue(prepared.contains("PREPARED"), prepared);
      String committing = rejected(committing(A, B), new RollbackRequested());
      assertTrue(committing.contains("COMMITTING"), committing);
      String committed = rejected(committed(A, B), new RollbackRequested());
      assertTrue(committed.contains("COMMITTED"), committed);
    }

    /** The no voter is told too: a rollback is idempotent, and nothing in the contract says a no vote released it. */
    @Test
    void noVoteAbortsAndTellsEveryoneNotReadOnly() {
      Transaction tx = preparing(A, B, C);
      applied(tx, readOnly(A));
      applied(tx, yes(B));
      List<Effect> effects = applied(tx, no(C, "insufficient funds"));
      AbortReason reason = new AbortReason(AbortCause.VOTED_NO, "c", "insufficient funds");
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(B, C)), effects);
      assertEquals(TxState.ROLLING_BACK, tx.state());
      assertEquals(reason, tx.abortReason());
      assertEquals(List.of(), applied(tx, new PhaseTwoAcked("c")));
      assertIgnored(tx, new PhaseTwoAcked("a"));
      assertEquals(List.of(new Finished(Outcome.ABORTED, reason, true)), applied(tx, new PhaseTwoAcked("b")));
      assertEquals(TxState.ROLLED_BACK, tx.state());
    }

    @Test
    void noVoteBeforeOtherVotesTellsEveryone() {
      Transaction tx = preparing(A, B, C);
      List<Effect> effects = applied(tx, no(B, "locked"));
      AbortReason reason = new AbortReason(AbortCause.VOTED_NO, "b", "locked");
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B, C)), effects);
      assertIgnored(tx, yes(A));
      assertIgnored(tx, no(C, "late"));
    }

    @Test
    void noVoteWithAnEmptyReason() {
      Transaction tx = preparing(A, B);
      applied(tx, readOnly(A));
      AbortReason reason = new AbortReason(AbortCause.VOTED_NO, "b", "");
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(B)), applied(tx, no(B, null)));
      assertEquals(List.of(new Finished(Outcome.ABORTED, reason, true)), applied(tx, new PhaseTwoAcked("b")));
    }

    @Test
    void prepareFailureAbortsAndTellsThatParticipantToo() {
      Transaction tx = preparing(A, B, C);
      applied(tx, yes(A));
      List<Effect> effects = applied(tx, new PrepareFailed("b", "connection refused"));
      AbortReason reason = new AbortReason(AbortCause.PREPARE_FAILED, "b", "connection refused");
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B, C)), effects);
      assertEquals(TxState.ROLLING_BACK, tx.state());
    }

    @Test
    void prepareTimeoutNamesTheFirstSilentParticipant() {
      Transaction tx = preparing(A, B, C);
      applied(tx, yes(A));
      applied(tx, readOnly(C));
      List<Effect> effects = applied(tx, new PrepareTimedOut());
      AbortReason reason = decidedAbort(effects);
      assertEquals(AbortCause.PREPARE_TIMEOUT, reason.cause());
      assertEquals("b", reason.participantId());
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B)), effects);
    }

    @Test
    void decisionLogFailureRetriesTheForceAndNeverAborts() {
      Transaction tx = prepared(A, B);
      assertEquals(List.of(new ForceCommitRecord(List.of(A, B), 1)), applied(tx, new DecisionLogFailed("disk full")));
      assertEquals(List.of(new ForceCommitRecord(List.of(A, B), 2)), applied(tx, new DecisionLogFailed("disk full")));
      assertEquals(TxState.PREPARED, tx.state());
      assertTrue(rejected(tx, new RollbackRequested()).contains("PREPARED"));
      List<Effect> effects = applied(tx, new DecisionLogged());
      assertEquals(TxState.COMMITTING, tx.state());
      assertEquals(new Decided(Outcome.COMMITTED, null), effects.get(0));
    }

    @Test
    void intentLogFailureAbortsWithoutAnEndRecord() {
      Transaction tx = active(A, B);
      applied(tx, new CommitRequested());
      List<Effect> effects = applied(tx, new IntentLogFailed("read-only file system"));
      AbortReason reason = decidedAbort(effects);
      assertEquals(AbortCause.PREPARE_FAILED, reason.cause());
      assertTrue(reason.detail().contains("read-only file system"), reason::detail);
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B)), effects);
      assertIgnored(tx, new IntentLogged());
      applied(tx, new PhaseTwoAcked("a"));
      assertEquals(List.of(new Finished(Outcome.ABORTED, reason, false)), applied(tx, new PhaseTwoAcked("b")));
    }

    @Test
    void intentLogFailureOfAOnePhaseCommitAborts() {
      Transaction tx = active(A);
      applied(tx, new CommitRequested());
      List<Effect> effects = applied(tx, new IntentLogFailed("io"));
      assertEquals(concat(new Decided(Outcome.ABORTED, decidedAbort(effects)), rollbacks(A)), effects);
    }

    @Test
    void intentLogFailureAfterTheIntentWasLoggedIsIgnored() {
      assertIgnored(preparing(A, B), new IntentLogFailed("late"));
      assertIgnored(preparing(A), new IntentLogFailed("late"));
    }

    @Test
    void timeoutAbortsAnActiveTransaction() {
      Transaction tx = active(A);
      List<Effect> effects = applied(tx, new TimedOut());
      AbortReason reason = decidedAbort(effects);
      assertEquals(AbortCause.TRANSACTION_TIMEOUT, reason.cause());
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A)), effects);

      Transaction empty = active();
      AbortReason emptyReason = decidedAbort(applied(empty, new TimedOut()));
      assertEquals(TxState.ROLLED_BACK, empty.state());
      assertEquals(AbortCause.TRANSACTION_TIMEOUT, emptyReason.cause());
    }

    @Test
    void timeoutIsIgnoredOnceCommitWasRequested() {
      assertIgnored(preparing(A), new TimedOut());
      assertIgnored(preparing(A, B), new TimedOut());
      assertIgnored(prepared(A, B), new TimedOut());
      assertIgnored(committing(A, B), new TimedOut());
      assertIgnored(committed(A, B), new TimedOut());
      assertIgnored(rollingBack(A), new TimedOut());
      assertIgnored(rolledBack(A), new TimedOut());
    }

    @Test
    void coordinatorRestartAbortsAPreparingTwoPhaseCommit() {
      Transaction tx = preparing(A, B);
      applied(tx, yes(A));
      List<Effect> effects = applied(tx, new CoordinatorRestarted());
      AbortReason reason = decidedAbort(effects);
      assertEquals(AbortCause.COORDINATOR_RESTARTED, reason.cause());
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B)), effects);
    }

    @Test
    void coordinatorRestartLeavesEverythingElseAlone() {
      assertIgnored(preparing(A), new CoordinatorRestarted());
      assertIgnored(active(A, B), new CoordinatorRestarted());
      assertIgnored(prepared(A, B), new CoordinatorRestarted());
      assertIgnored(committing(A, B), new CoordinatorRestarted());
      assertIgnored(rollingBack(A, B), new CoordinatorRestarted());
    }

    @Test
    void phaseTwoRollbackFailureResendsWithIncreasingAttempt() {
      Transaction tx = rollingBack(A, B);
      assertEquals(List.of(new SendRollback(B, 1)), applied(tx, new PhaseTwoFailed("b", "unavailable")));
      assertEquals(List.of(new SendRollback(B, 2)), applied(tx, new PhaseTwoFailed("b", "unavailable")));
      assertEquals(List.of(new SendRollback(A, 1)), applied(tx, new PhaseTwoFailed("a", "unavailable")));
    }
  }

  @Nested
  class ExpectedParticipants {

    @Test
    void aMissingExpectedParticipantAbortsInsteadOfCommittingTheOthers() {
      // A careless client: its call to b failed before b joined, and it commits anyway.
      Transaction tx = active(A);
      List<Effect> effects = applied(tx, new CommitRequested(Set.of("a", "b")));
      Decided decided = assertInstanceOf(Decided.class, effects.get(0));
      assertEquals(Outcome.ABORTED, decided.outcome());
      assertEquals(AbortCause.PARTICIPANT_MISSING, decided.reason().cause());
      assertEquals("b", decided.reason().participantId());
      assertTrue(effects.contains(new SendRollback(A, 0)), "the enlisted one is told: " + effects);
      assertTrue(effects.stream().noneMatch(e -> e instanceof LogIntent || e instanceof SendOnePhaseCommit),
          "nothing prepares or commits: " + effects);
      assertEquals(TxState.ROLLING_BACK, tx.state());
    }

    @Test
    void everyExpectedParticipantEnlistedCommitsAsUsual() {
      Transaction tx = active(A, B);
      List<Effect> effects = applied(tx, new CommitRequested(Set.of("a", "b")));
      assertEquals(List.of(new LogIntent(List.of(A, B), false)), effects);
      assertEquals(TxState.PREPARING, tx.state());
    }
  }

  @Nested
  class IllegalRequests {

    @Test
    void enlistAfterCommitBeganIsRejectedNamingTheState() {
      Transaction tx = preparing(A, B);
      String message = rejected(tx, new Enlist(C));
      assertTrue(message.contains("PREPARING") && message.contains("c"), message);
      assertEquals(List.of(A, B), tx.participants());

      String afterCommit = rejected(committed(A, B), new Enlist(C));
      assertTrue(afterCommit.contains("COMMITTED"), afterCommit);
      String afterRollback = rejected(rolledBack(), new Enlist(C));
      assertTrue(afterRollback.contains("ROLLED_BACK"), afterRollback);
    }

    @Test
    void commitAfterClientRollbackIsRejected() {
      Transaction tx = rollingBack(A);
      String message = rejected(tx, new CommitRequested());
      assertTrue(message.contains("ROLLING_BACK") && message.contains("ROLLBACK_REQUESTED"), message);
      assertFalse(tx.isCommitRequested());
    }

    @Test
    void commitAfterTimeoutIsRejected() {
      Transaction tx = active();
      applied(tx, new TimedOut());
      String message = rejected(tx, new CommitRequested());
      assertTrue(message.contains("TRANSACTION_TIMEOUT"), message);
    }

    @Test
    void repeatedCommitRequestIsIgnored() {
      assertIgnored(preparing(A, B), new CommitRequested());
      assertIgnored(committed(A, B), new CommitRequested());
      Transaction aborted = preparing(A, B);
      applied(aborted, no(A, "no"));
      assertIgnored(aborted, new CommitRequested());
    }

    @Test
    void enlistingAnIdWithAnotherEndpointIsRejected() {
      Transaction tx = active(A);
      String message = rejected(tx, new Enlist(new Participant("a", "elsewhere:7500")));
      assertTrue(message.contains(A.endpoint()) && message.contains("elsewhere:7500"), message);
      assertEquals(List.of(A), tx.participants());
    }

    @Test
    void enlistingTheSameParticipantAgainIsIgnored() {
      assertIgnored(active(A), new Enlist(A));
      assertIgnored(preparing(A, B), new Enlist(B));
    }
  }

  @Nested
  class DuplicatesAndReordering {

    @Test
    void duplicateVote() {
      Transaction tx = preparing(A, B);
      applied(tx, yes(A));
      assertIgnored(tx, yes(A));
      assertIgnored(tx, no(A, "changed my mind"));
      assertIgnored(tx, new PrepareFailed("a", "late failure"));
    }

    @Test
    void votesAfterTheDecision() {
      assertIgnored(prepared(A, B), yes(A));
      assertIgnored(committing(A, B), no(B, "too late"));
      Transaction aborted = preparing(A, B);
      applied(aborted, new PrepareTimedOut());
      assertIgnored(aborted, yes(A));
      assertIgnored(aborted, readOnly(B));
    }

    @Test
    void votesBeforeCommitOrInOnePhaseAreIgnored() {
      assertIgnored(active(A, B), yes(A));
      assertIgnored(preparing(A), yes(A));
      assertIgnored(preparing(A), new PrepareFailed("a", "x"));
      assertIgnored(preparing(A), new PrepareTimedOut());
    }

    @Test
    void latePrepareFailure() {
      assertIgnored(committing(A, B), new PrepareFailed("a", "late"));
      Transaction aborted = preparing(A, B);
      applied(aborted, no(B, "no"));
      assertIgnored(aborted, new PrepareFailed("a", "late"));
    }

    @Test
    void prepareTimeoutAfterEveryVote() {
      assertIgnored(prepared(A, B), new PrepareTimedOut());
      assertIgnored(committed(A, B), new PrepareTimedOut());
    }

    @Test
    void duplicateAcks() {
      Transaction tx = committing(A, B);
      applied(tx, new PhaseTwoAcked("a"));
      assertIgnored(tx, new PhaseTwoAcked("a"));
      assertIgnored(committed(A, B), new PhaseTwoAcked("b"));
      assertIgnored(rolledBack(A), new PhaseTwoAcked("a"));
    }

    @Test
    void acksBeforeTheDecision() {
      assertIgnored(active(A), new PhaseTwoAcked("a"));
      assertIgnored(preparing(A, B), new PhaseTwoAcked("a"));
      assertIgnored(prepared(A, B), new PhaseTwoAcked("a"));
      assertIgnored(prepared(A, B), new PhaseTwoFailed("a", "x"));
    }

    @Test
    void decisionLoggedTwiceOrEarly() {
      Transaction tx = committing(A, B);
      assertIgnored(tx, new DecisionLogged());
      assertIgnored(tx, new DecisionLogFailed("late"));
      assertIgnored(preparing(A, B), new DecisionLogged());
      assertIgnored(preparing(A, B), new DecisionLogFailed("early"));
      assertIgnored(active(A), new DecisionLogged());
    }

    @Test
    void intentLoggedTwiceOrEarly() {
      assertIgnored(preparing(A, B), new IntentLogged());
      assertIgnored(preparing(A), new IntentLogged());
      assertIgnored(active(A), new IntentLogged());
      assertIgnored(committed(A, B), new IntentLogged());
    }

    @Test
    void onePhaseAnswersOutOfPlace() {
      Transaction beforeIntent = active(A);
      applied(beforeIntent, new CommitRequested());
      assertIgnored(beforeIntent, new OnePhaseFinished(Outcome.COMMITTED, ""));
      assertIgnored(beforeIntent, new OnePhaseFailed("x"));
      assertIgnored(preparing(A, B), new OnePhaseFinished(Outcome.COMMITTED, ""));
      assertIgnored(preparing(A, B), new OnePhaseFailed("x"));
    }

    @Test
    void eventsForUnknownParticipants() {
      assertIgnored(preparing(A, B), yes(C));
      assertIgnored(preparing(A, B), no(C, "who am I"));
      assertIgnored(preparing(A, B), new PrepareFailed("c", "x"));
      assertIgnored(committing(A, B), new PhaseTwoAcked("c"));
      assertIgnored(committing(A, B), new PhaseTwoFailed("c", "x"));
      assertIgnored(rollingBack(A, B), new PhaseTwoAcked("c"));
    }
  }

  /** An operator's resolution by hand, in every state: never a commit without a decision, never a reversal. */
  @Nested
  class OperatorResolution {

    final ResolutionRequested commit = new ResolutionRequested(Outcome.COMMITTED, "");
    final ResolutionRequested rollback = new ResolutionRequested(Outcome.ABORTED, "ticket OPS-7");

    @Test
    void rollbackOfAnActiveTransactionAbortsLikeAClientRollbackWithTheOperatorCause() {
      Transaction tx = active(A, B);
      List<Effect> effects = applied(tx, rollback);
      AbortReason reason = new AbortReason(AbortCause.OPERATOR, "", "rolled back by an operator: ticket OPS-7");
      assertEquals(concat(new Decided(Outcome.ABORTED, reason), rollbacks(A, B)), effects);
      assertEquals(TxState.ROLLING_BACK, tx.state());
      assertEquals(reason, tx.abortReason());
    }

    @Test
    void rollbackWithoutParticipantsOrNoteFinishesAtOnce() {
      Transaction tx = active();
      List<Effect> effects = applied(tx, new ResolutionRequested(Outcome.ABORTED, null));
      AbortReason reason = new AbortReason(AbortCause.OPERATOR, "", "rolled back by an operator");
      assertEquals(List.of(new Decided(Outcome.ABORTED, reason), new Finished(Outcome.ABORTED, reason, false)),
          effects);
      assertEquals(TxState.ROLLED_BACK, tx.state());
    }

    @Test
    void commitOfAnActiveTransactionIsRefusedBecauseNobodyVoted() {
      String message = rejected(active(A, B), commit);
      assertTrue(message.contains("ACTIVE and undecided"), message);
      assertTrue(message.contains("no commit record exists"), message);
      assertTrue(message.contains("commit was never requested"), message);
      assertTrue(message.contains("only rollback is possible"), message);
    }

    @Test
    void rollbackWhilePreparingTellsEveryoneEvenTheYesVoters() {
      Transaction tx = preparing(A, B);
      applied(tx, yes(A));
      List<Effect> effects = applied(tx, rollback);
      assertEquals(AbortCause.OPERATOR, decidedAbort(effects).cause());
      assertEquals(rollbacks(A, B), effects.subList(1, effects.size()));
    }

    @Test
    void commitWhilePreparingIsRefusedNamingTheMissingVotes() {
      Transaction tx = preparing(A, B, C);
      applied(tx, yes(A));
      applied(tx, readOnly(C));
      String message = rejected(tx, commit);
      assertTrue(message.contains("not every participant voted yes (no vote from b)"), message);
      assertTrue(message.contains("only rollback is possible"), message);
    }

    @Test
    void aOnePhaseCommitInFlightBelongsToItsParticipant() {
      Transaction tx = preparing(A);
      assertTrue(rejected(tx, rollback).contains("one-phase commit sent to a"));
      assertTrue(rejected(tx, commit).contains("decides a one-phase commit itself"));
    }

    @Test
    void rollbackBeforeTheOnePhaseCommitIsSentAborts() {
      Transaction tx = active(A);
      applied(tx, new CommitRequested());
      assertEquals(AbortCause.OPERATOR, decidedAbort(applied(tx, rollback)).cause());
    }

    @Test
    void commitOfAPreparedTransactionIsAlreadyUnderwayRollbackIsRefused() {
      assertIgnored(prepared(A, B), commit);
      String message = rejected(prepared(A, B), rollback);
      assertTrue(message.contains("PREPARED"), message);
      assertTrue(message.contains("a decision cannot be reversed"), message);
    }

    @Test
    void commitOfACommittingTransactionForgetsTheUnacknowledged() {
      Transaction tx = committing(A, B, C);
      applied(tx, new PhaseTwoAcked("a"));
      applied(tx, new PhaseTwoFailed("b", "gone"));
      List<Effect> effects = applied(tx, commit);
      assertEquals(List.of(new Finished(Outcome.COMMITTED, null, true, List.of(B, C))), effects);
      assertEquals(TxState.COMMITTED, tx.state());
      assertEquals(List.of(new ParticipantView(A, Vote.YES, true, 0, false),
          new ParticipantView(B, Vote.YES, true, 1, true), new ParticipantView(C, Vote.YES, true, 0, true)),
          tx.participantViews());
      assertIgnored(tx, new PhaseTwoAcked("b"));
      assertIgnored(tx, new PhaseTwoFailed("c", "late"));
    }

    @Test
    void readOnlyVotersAreNeverForgotten() {
      Transaction tx = preparing(A, B);
      applied(tx, yes(A));
      applied(tx, readOnly(B));
      applied(tx, new DecisionLogged());
      assertEquals(List.of(new Finished(Outcome.COMMITTED, null, true, List.of(A))), applied(tx, commit));
    }

    @Test
    void rollbackOfACommittingTransactionIsRefused() {
      Transaction tx = committing(A, B);
      applied(tx, new PhaseTwoAcked("a"));
      String message = rejected(tx, rollback);
      assertTrue(message.contains("decided COMMIT, logged; a decision cannot be reversed"), message);
      assertTrue(message.contains("stops waiting for b"), message);
    }

    @Test
    void rollbackOfARollingBackTransactionForgetsTheUnacknowledgedAndKeepsTheCause() {
      Transaction tx = preparing(A, B);
      applied(tx, no(A, "no funds"));
      applied(tx, new PhaseTwoAcked("a"));
      AbortReason reason = tx.abortReason();
      List<Effect> effects = applied(tx, rollback);
      assertEquals(List.of(new Finished(Outcome.ABORTED, reason, true, List.of(B))), effects);
      assertEquals(TxState.ROLLED_BACK, tx.state());
      assertEquals(AbortCause.VOTED_NO, tx.abortReason().cause());
    }

    @Test
    void rollbackOfARollbackBeforeCommitWasRequestedNeedsNoIntent() {
      Transaction tx = rollingBack(A);
      assertEquals(List.of(new Finished(Outcome.ABORTED, tx.abortReason(), false, List.of(A))),
          applied(tx, rollback));
    }

    @Test
    void commitOfARollingBackTransactionIsRefused() {
      String message = rejected(rollingBack(A, B), commit);
      assertTrue(message.contains("decided ROLLBACK (ROLLBACK_REQUESTED"), message);
      assertTrue(message.contains("a decision cannot be reversed"), message);
    }

    @Test
    void finishedTransactionsHaveNothingToResolve() {
      for (Transaction tx : List.of(committed(A, B), rolledBack(A))) {
        for (ResolutionRequested r : List.of(commit, rollback)) {
          String message = rejected(tx, r);
          assertTrue(message.contains("is already " + tx.state() + " (finished)"), message);
        }
      }
    }

    @Test
    void aResolutionIsCommittedOrAborted() {
      assertThrows(IllegalArgumentException.class, () -> new ResolutionRequested(Outcome.PENDING, ""));
      assertThrows(IllegalArgumentException.class, () -> new ResolutionRequested(null, ""));
    }
  }

  /**
   * Random histories: plausible events for the current state, mixed with arbitrary ones and replays of earlier
   * events (duplicates, reordering). Each step checks the invariants; the seed is in every failure message.
   */
  @Nested
  class RandomHistories {

    static final int SEEDS = 3_000;
    static final int STEPS = 60;

    final EnumSet<TxState> reached = EnumSet.noneOf(TxState.class);
    final EnumSet<AbortCause> causes = EnumSet.noneOf(AbortCause.class);
    final Set<Class<?>> effectsSeen = new HashSet<>();

    @Test
    void neverThrowsAndKeepsTheInvariants() {
      for (long seed = 0; seed < SEEDS; seed++) {
        new History(seed).run();
      }
      assertEquals(EnumSet.allOf(TxState.class), reached, "states reached");
      assertEquals(EnumSet.allOf(AbortCause.class), causes, "abort causes reached");
      assertEquals(Set.of(Effect.class.getPermittedSubclasses()), effectsSeen, "effects emitted");
    }

    final class History {
      final long seed;
      final SplittableRandom random;
      final List<Participant> participants = new ArrayList<>();
      final List<TxEvent> trace = new ArrayList<>();
      final Transaction tx = new Transaction(new TxId("coord-1", 1, 1), 0, 30_000, Map.of());
      Decided decided;
      boolean finished;
      boolean onePhaseSent;

      History(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
          participants.add(participant("p" + i));
        }
      }

      void run() {
        participants.forEach(p -> step(new Enlist(p)));
        for (int i = 0; i < STEPS; i++) {
          int dice = random.nextInt(10);
          step(dice < 2 ? pick(trace) : dice < 4 ? anyEvent() : plausibleEvent());
        }
      }

      void step(TxEvent event) {
        trace.add(event);
        Snapshot before = Snapshot.of(tx);
        Result result;
        try {
          result = tx.apply(event);
        } catch (RuntimeException e) {
          throw new AssertionError(context("apply threw " + e), e);
        }
        TxState after = tx.state();
        reached.add(after);
        check(after == before.state() || after.canFollow(before.state()), "moved " + before.state() + " -> " + after);
        check(!before.state().isDecided() || after.outcome() == before.state().outcome(), "outcome changed");
        if (!(result instanceof Applied applied)) {
          check(before.equals(Snapshot.of(tx)), result + " changed the transaction");
          return;
        }
        for (Effect effect : applied.effects()) {
          checkEffect(event, effect);
        }
      }

      void checkEffect(TxEvent event, Effect effect) {
        effectsSeen.add(effect.getClass());
        if (effect instanceof Decided d) {
          check(decided == null, "decided twice: " + decided + ", then " + d);
          decided = d;
          check(d.outcome() == tx.state().outcome(), d + " while " + tx.state());
          check(Objects.equals(d.reason(), tx.abortReason()), d + " but abort reason " + tx.abortReason());
          check((d.outcome() == Outcome.ABORTED) == (d.reason() != null), "reason iff aborted: " + d);
          check(!onePhaseSent || d.outcome() == Outcome.COMMITTED || event instanceof OnePhaseFinished,
              "aborted by " + event + " after the one-phase commit was sent");
          if (d.reason() != null) {
            causes.add(d.reason().cause());
          }
        } else if (effect instanceof Finished f) {
          check(!finished, "finished twice");
          finished = true;
          check(decided != null && decided.outcome() == f.outcome(), f + " after " + decided);
          check(tx.state().isFinished() && tx.state().outcome() == f.outcome(), f + " while " + tx.state());
          check(f.forgotten().isEmpty() || event instanceof ResolutionRequested r && r.outcome() == f.outcome(),
              f + " forgot participants after " + event);
          check(f.forgotten().stream().noneMatch(voters(Vote.READ_ONLY)::contains), f + " forgot a read-only voter");
        } else if (effect instanceof ForceCommitRecord force) {
          check(tx.state() == TxState.PREPARED, force + " while " + tx.state());
          check(force.participants().equals(voters(Vote.YES)), force + " but yes voters " + voters(Vote.YES));
        } else if (effect instanceof SendCommit send) {
          check(tx.state() == TxState.COMMITTING, send + " while " + tx.state());
          check(voters(Vote.YES).contains(send.participant()), send + " to a participant that did not vote yes");
        } else if (effect instanceof SendRollback send) {
          check(tx.state() == TxState.ROLLING_BACK, send + " while " + tx.state());
          check(!voters(Vote.READ_ONLY).contains(send.participant()), send + " to a read-only voter");
        } else if (effect instanceof SendOnePhaseCommit send) {
          onePhaseSent = true;
          check(tx.isOnePhase() && tx.state() == TxState.PREPARING, send + " while " + tx.state());
        } else if (effect instanceof SendPrepare send) {
          check(!tx.isOnePhase() && tx.state() == TxState.PREPARING, send + " while " + tx.state());
        } else if (effect instanceof LogIntent log) {
          check(log.participants().equals(tx.participants()), log + " for " + tx.participants());
        }
      }

      List<Participant> voters(Vote vote) {
        return tx.participantViews().stream().filter(v -> v.vote() == vote).map(ParticipantView::participant)
            .toList();
      }

      TxEvent plausibleEvent() {
        Participant p = pick(participants);
        return switch (tx.state()) {
          case ACTIVE -> oneOf(new CommitRequested(), new CommitRequested(), new CommitRequested(), new Enlist(p),
              new CommitRequested(Set.of(p.id(), "never-enlisted")), new RollbackRequested(), new TimedOut(),
              resolution());
          case PREPARING -> random.nextInt(3) == 0
              ? oneOf(new IntentLogged(), new IntentLogged(), new OnePhaseFinished(Outcome.COMMITTED, ""),
                  new OnePhaseFinished(Outcome.ABORTED, "no"), new OnePhaseFailed("x"), new IntentLogFailed("x"),
                  new PrepareFailed(p.id(), "x"), new PrepareTimedOut(), new RollbackRequested(),
                  new CoordinatorRestarted(), resolution())
              : new VoteReceived(p.id(), oneOf(Vote.YES, Vote.YES, Vote.YES, Vote.YES, Vote.READ_ONLY, Vote.NO),
                  "r");
          case PREPARED -> oneOf(new DecisionLogged(), new DecisionLogged(), new DecisionLogged(),
              new DecisionLogFailed("x"), resolution());
          case COMMITTING, ROLLING_BACK -> oneOf(new PhaseTwoAcked(p.id()), new PhaseTwoAcked(p.id()),
              new PhaseTwoFailed(p.id(), "x"), resolution());
          case COMMITTED, ROLLED_BACK -> anyEvent();
        };
      }

      TxEvent anyEvent() {
        String id = random.nextInt(6) == 0 ? "stranger" : pick(participants).id();
        return switch (random.nextInt(18)) {
          case 0 -> new Enlist(participant(id));
          case 1 -> new Enlist(new Participant(id, "moved.pledge.test:7600"));
          case 2 -> new CommitRequested();
          case 3 -> new RollbackRequested();
          case 4 -> new IntentLogged();
          case 5 -> new IntentLogFailed("x");
          case 6 -> new VoteReceived(id, oneOf(Vote.values()), "r");
          case 7 -> new PrepareFailed(id, "x");
          case 8 -> new PrepareTimedOut();
          case 9 -> new DecisionLogged();
          case 10 -> new DecisionLogFailed("x");
          case 11 -> new OnePhaseFinished(oneOf(Outcome.COMMITTED, Outcome.ABORTED), "r");
          case 12 -> new OnePhaseFailed("x");
          case 13 -> new PhaseTwoAcked(id);
          case 14 -> new PhaseTwoFailed(id, "x");
          case 15 -> new TimedOut();
          case 16 -> resolution();
          default -> new CoordinatorRestarted();
        };
      }

      TxEvent resolution() {
        return new ResolutionRequested(oneOf(Outcome.COMMITTED, Outcome.ABORTED), oneOf("", "ops"));
      }

      @SafeVarargs
      final <T> T oneOf(T... choices) {
        return choices[random.nextInt(choices.length)];
      }

      <T> T pick(List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
      }

      void check(boolean condition, String what) {
        if (!condition) {
          throw new AssertionError(context(what));
        }
      }

      String context(String what) {
        return what + " (seed " + seed + ", state " + tx.state() + ", events " + trace + ")";
      }
    }
  }

  @Test
  void nullEventIsAProgrammingError() {
    assertThrows(IllegalArgumentException.class, () -> active().apply(null));
  }
}
