package io.pledge.participant.barrier;

/**
 * The branch barrier: a pure function from (state, call) to the action to take. No I/O, no clock, no threads, so
 * every pair is tested exhaustively. It gives the idempotency the protocol asks for (participant.proto): a
 * duplicate commit or rollback is acknowledged without effect; a rollback that overtakes its prepare is recorded
 * so that the late prepare votes no (no "hanging" branch); an empty rollback is fine.
 */
public final class Barrier {

  private Barrier() {}

  public static Action decide(BranchState state, BranchCall call) {
    return decide(state, call, false);
  }

  /**
   * @param durablePrepare the resource's prepare is its own durable record ({@code ResourceManager.durablePrepare}):
   *     the endpoint forced no PREPARED record, so a phase-2 commit may find no trace of a branch that voted yes.
   *     Three cells differ: a commit or a rollback of a branch with no trace here goes to the resource by id, and a
   *     one-phase commit of a PREPARED branch forces its decision first. Everything else the log's records did, the
   *     in-memory state does (and at restart the branches the resource's {@code recover()} lists, adopted as
   *     PREPARED).
   */
  public static Action decide(BranchState state, BranchCall call, boolean durablePrepare) {
    if (durablePrepare && state == BranchState.UNKNOWN && call == BranchCall.COMMIT) {
      // The coordinator commits only after our yes, and the yes came from the resource's prepared branch: it is
      // still prepared there (commit it) or was committed before a crash lost the COMMITTED record (an idempotent
      // commit by id). Nothing else removes it: a rollback would contradict the coordinator's own decision.
      return Action.RUN_RECOVERED_COMMIT;
    }
    if (durablePrepare && state == BranchState.PREPARED && call == BranchCall.COMMIT_ONE_PHASE) {
      // With a forced PREPARED record, that record stands until COMMITTED replaces it; without one, only a forced
      // COMMITTING keeps "no trace here" meaning "never decided to commit" for a one-phase retry.
      return Action.DECIDE_AND_COMMIT;
    }
    if (durablePrepare && state == BranchState.UNKNOWN && call == BranchCall.ROLLBACK) {
      // Recorded as before (a late prepare votes no), and the resource is told too: whatever it may hold under this
      // id without our knowing (a branch its recover() could not list to us, say one prepared under another
      // database role) is rolled back or the call fails and is retried, instead of staying prepared unseen.
      return Action.RUN_ROLLBACK;
    }
    return switch (call) {
      case JOIN -> switch (state) {
        case UNKNOWN -> Action.ENLIST;
        case ACTIVE -> Action.ACK;
        default -> Action.REJECT;
      };
      case PREPARE -> switch (state) {
        // No trace of work here (never joined, or the volatile work died with a restart): nothing to make durable.
        case UNKNOWN, ROLLED_BACK -> Action.VOTE_NO;
        case ACTIVE -> Action.RUN_PREPARE;
        // Duplicate prepare: the record is already forced (or the branch even committed): same vote again.
        case PREPARED, COMMITTING, COMMITTED -> Action.VOTE_YES;
        case READ_ONLY -> Action.VOTE_READ_ONLY;
      };
      case COMMIT -> switch (state) {
        case PREPARED, COMMITTING -> Action.RUN_COMMIT;
        case COMMITTED, READ_ONLY -> Action.ACK;
        // A two-phase commit of a branch that never forced a yes vote: the coordinator broke the protocol.
        case UNKNOWN, ACTIVE, ROLLED_BACK -> Action.REJECT;
      };
      case COMMIT_ONE_PHASE -> switch (state) {
        case ACTIVE -> Action.RUN_ONE_PHASE;
        // A one-phase retry after our earlier answer was lost: finish what was started.
        case PREPARED, COMMITTING -> Action.RUN_COMMIT;
        case COMMITTED, READ_ONLY -> Action.ACK;
        case UNKNOWN, ROLLED_BACK -> Action.ANSWER_ABORTED;
      };
      case ROLLBACK -> switch (state) {
        case UNKNOWN -> Action.RECORD_ROLLBACK;
        case ACTIVE, PREPARED -> Action.RUN_ROLLBACK;
        case ROLLED_BACK, READ_ONLY -> Action.ACK;
        // One-phase: this participant already decided to commit; a rollback cannot undo that decision.
        case COMMITTING, COMMITTED -> Action.REJECT;
      };
    };
  }
}
