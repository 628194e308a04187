package io.pledge.participant.barrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BarrierTest {

  /** The whole table, written out once: a change to the barrier must change this test on purpose. */
  private static final Map<BranchState, Map<BranchCall, Action>> EXPECTED = new EnumMap<>(BranchState.class);

  static {
    row(BranchState.UNKNOWN, Action.ENLIST, Action.VOTE_NO, Action.REJECT, Action.ANSWER_ABORTED,
        Action.RECORD_ROLLBACK);
    row(BranchState.ACTIVE, Action.ACK, Action.RUN_PREPARE, Action.REJECT, Action.RUN_ONE_PHASE, Action.RUN_ROLLBACK);
    row(BranchState.PREPARED, Action.REJECT, Action.VOTE_YES, Action.RUN_COMMIT, Action.RUN_COMMIT,
        Action.RUN_ROLLBACK);
    row(BranchState.COMMITTING, Action.REJECT, Action.VOTE_YES, Action.RUN_COMMIT, Action.RUN_COMMIT,
        Action.REJECT);
    row(BranchState.COMMITTED, Action.REJECT, Action.VOTE_YES, Action.ACK, Action.ACK, Action.REJECT);
    row(BranchState.ROLLED_BACK, Action.REJECT, Action.VOTE_NO, Action.REJECT, Action.ANSWER_ABORTED, Action.ACK);
    row(BranchState.READ_ONLY, Action.REJECT, Action.VOTE_READ_ONLY, Action.ACK, Action.ACK, Action.ACK);
  }

  private static void row(BranchState state, Action join, Action prepare, Action commit, Action onePhase,
      Action rollback) {
    Map<BranchCall, Action> m = new EnumMap<>(BranchCall.class);
    m.put(BranchCall.JOIN, join);
    m.put(BranchCall.PREPARE, prepare);
    m.put(BranchCall.COMMIT, commit);
    m.put(BranchCall.COMMIT_ONE_PHASE, onePhase);
    m.put(BranchCall.ROLLBACK, rollback);
    EXPECTED.put(state, m);
  }

  @Test
  void everyStateAndCallHasTheExpectedAction() {
    for (BranchState state : BranchState.values()) {
      for (BranchCall call : BranchCall.values()) {
        assertEquals(EXPECTED.get(state).get(call), Barrier.decide(state, call), state + " x " + call);
      }
    }
  }

  /**
   * A resource whose prepare is its own durable record (issue 16): the same table but three cells. A phase-2 commit of
   * a branch with no trace here is a yes whose COMMITTED record a crash lost after the resource committed: commit by
   * id instead of refusing. A rollback of such a branch is recorded as before and also goes to the resource by id
   * (which may hold a branch it could not list). A one-phase commit of a branch PREPARED only by the resource's record
   * forces the decision first. Everything else (duplicate prepares, a rollback that
   * overtakes its prepare, one-phase) decides exactly as with the forced record.
   */
  @Test
  void aDurablePrepareChangesOnlyTheCommitOfAnUnknownBranch() {
    for (BranchState state : BranchState.values()) {
      for (BranchCall call : BranchCall.values()) {
        Action expected = state == BranchState.UNKNOWN && call == BranchCall.COMMIT ? Action.RUN_RECOVERED_COMMIT
            : state == BranchState.UNKNOWN && call == BranchCall.ROLLBACK ? Action.RUN_ROLLBACK
            : state == BranchState.PREPARED && call == BranchCall.COMMIT_ONE_PHASE ? Action.DECIDE_AND_COMMIT
            : EXPECTED.get(state).get(call);
        assertEquals(expected, Barrier.decide(state, call, true), state + " x " + call);
        assertEquals(EXPECTED.get(state).get(call), Barrier.decide(state, call, false), state + " x " + call);
      }
    }
    // Adopted from the resource's recover() at restart, and the recovered commit's path through PREPARED.
    assertTrue(BranchState.UNKNOWN.canMoveTo(BranchState.PREPARED));
    assertTrue(BranchState.PREPARED.canMoveTo(BranchState.COMMITTED));
    assertTrue(BranchState.PREPARED.canMoveTo(BranchState.COMMITTING));
    // The one-phase decision stays the participant's own (forced COMMITTING): an unknown branch answers ABORTED.
    assertEquals(Action.ANSWER_ABORTED, Barrier.decide(BranchState.UNKNOWN, BranchCall.COMMIT_ONE_PHASE, true));
  }

  @Test
  void everyActionThatMovesTheBranchMovesItLegally() {
    for (BranchState state : BranchState.values()) {
      for (BranchCall call : BranchCall.values()) {
        Action action = Barrier.decide(state, call);
        switch (action) {
          case ENLIST -> assertTrue(state.canMoveTo(BranchState.ACTIVE));
          case RUN_PREPARE -> {
            assertTrue(state.canMoveTo(BranchState.PREPARED));
            assertTrue(state.canMoveTo(BranchState.READ_ONLY));
            assertTrue(state.canMoveTo(BranchState.ROLLED_BACK));
          }
          case RUN_COMMIT -> assertTrue(state.canMoveTo(BranchState.COMMITTED));
          case RUN_ONE_PHASE -> {
            assertTrue(state.canMoveTo(BranchState.COMMITTING));
            assertTrue(state.canMoveTo(BranchState.READ_ONLY));
            assertTrue(state.canMoveTo(BranchState.ROLLED_BACK));
            assertTrue(BranchState.COMMITTING.canMoveTo(BranchState.COMMITTED));
          }
          case RUN_ROLLBACK, RECORD_ROLLBACK -> assertTrue(state.canMoveTo(BranchState.ROLLED_BACK));
          default -> { }
        }
      }
    }
  }

  @Test
  void duplicateCommitAndRollbackAreAcknowledgedWithoutEffect() {
    assertEquals(Action.ACK, Barrier.decide(BranchState.COMMITTED, BranchCall.COMMIT));
    assertEquals(Action.ACK, Barrier.decide(BranchState.ROLLED_BACK, BranchCall.ROLLBACK));
  }

  @Test
  void rollbackBeforePrepareIsRecordedAndTheLatePrepareVotesNo() {
    assertEquals(Action.RECORD_ROLLBACK, Barrier.decide(BranchState.UNKNOWN, BranchCall.ROLLBACK));
    assertTrue(BranchState.UNKNOWN.canMoveTo(BranchState.ROLLED_BACK));
    assertEquals(Action.VOTE_NO, Barrier.decide(BranchState.ROLLED_BACK, BranchCall.PREPARE));
    assertEquals(Action.REJECT, Barrier.decide(BranchState.ROLLED_BACK, BranchCall.JOIN));
  }

  @Test
  void finalStatesHaveNoSuccessorAndIllegalTransitionsFailLoudly() {
    for (BranchState s : new BranchState[] {BranchState.COMMITTED, BranchState.ROLLED_BACK, BranchState.READ_ONLY}) {
      assertTrue(s.isFinal());
      for (BranchState next : BranchState.values()) {
        assertFalse(s.canMoveTo(next));
      }
    }
    assertThrows(IllegalStateException.class, () -> BranchState.PREPARED.checkTransition(BranchState.ACTIVE));
    assertThrows(IllegalStateException.class, () -> BranchState.COMMITTED.checkTransition(BranchState.ROLLED_BACK));
    assertEquals(BranchState.PREPARED, BranchState.ACTIVE.checkTransition(BranchState.PREPARED));
  }
}
