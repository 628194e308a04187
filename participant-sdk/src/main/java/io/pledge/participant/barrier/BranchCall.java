package io.pledge.participant.barrier;

/** What can happen to a branch: the coordinator's three calls (commit in two flavours) and the service's work. */
public enum BranchCall {
  /** The service works for the transaction (first time: enlist). */
  JOIN,
  PREPARE,
  COMMIT,
  /** Commit with {@code one_phase}: the only participant prepares and commits in one step. */
  COMMIT_ONE_PHASE,
  ROLLBACK
}
