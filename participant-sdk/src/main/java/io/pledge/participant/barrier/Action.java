package io.pledge.participant.barrier;

/**
 * What the barrier decides for a call in a state. {@code RUN_*} actions touch the resource and then move the branch;
 * the others answer at once without effect, which is what makes duplicates and reordered calls harmless.
 */
public enum Action {
  /** Enlist with the coordinator and become ACTIVE. */
  ENLIST,
  RUN_PREPARE,
  RUN_COMMIT,
  /**
   * Phase-2 commit of a branch with no trace here, at a resource whose prepare is its own durable record
   * ({@code ResourceManager.durablePrepare}): the yes came from that record, which the resource's commit may have
   * consumed before a crash lost the unforced COMMITTED record. Adopt the branch as PREPARED and commit it by id
   * (idempotent at the resource).
   */
  RUN_RECOVERED_COMMIT,
  /**
   * One-phase commit of a branch PREPARED only through the resource's own record (adopted at restart from a one-phase
   * attempt that crashed before its decision): force this participant's decision (COMMITTING) first, then commit, as
   * {@link #RUN_ONE_PHASE} does. Committing without it could lose the decision to a crash before the unforced
   * COMMITTED record, and the next one-phase retry, finding no trace, would answer ABORTED for a committed branch.
   */
  DECIDE_AND_COMMIT,
  RUN_ONE_PHASE,
  RUN_ROLLBACK,
  /** Rollback before any prepare: remember it, so that a late prepare votes no and a late join fails. */
  RECORD_ROLLBACK,
  VOTE_YES,
  VOTE_NO,
  VOTE_READ_ONLY,
  /** Acknowledge: the call already had its effect (duplicate) or needs none. */
  ACK,
  /** One-phase commit of a branch that is gone or rolled back: answer ABORTED. */
  ANSWER_ABORTED,
  /** The call contradicts the branch's state (commit of a rolled-back branch): an error to the caller. */
  REJECT
}
