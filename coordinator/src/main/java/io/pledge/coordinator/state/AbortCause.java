package io.pledge.coordinator.state;

/** Why a transaction aborted; mirrors {@code pledge.v1.AbortCause} and labels the aborted-transactions metric. */
public enum AbortCause {
  ROLLBACK_REQUESTED,
  VOTED_NO,
  PREPARE_FAILED,
  PREPARE_TIMEOUT,
  TRANSACTION_TIMEOUT,
  COORDINATOR_RESTARTED,
  /** An operator rolled the undecided transaction back by hand. */
  OPERATOR,
  /** Commit named a participant the client expected that never enlisted (a call to it failed or never reached it). */
  PARTICIPANT_MISSING
}
