package io.pledge.participant.client;

/** The coordinator could not be reached or is still recovering its log. Safe to retry: begin, commit and rollback are idempotent per transaction. */
public final class CoordinatorUnavailableException extends PledgeException {
  public CoordinatorUnavailableException(String txId, String message, Throwable cause) {
    super(txId, message, cause);
  }
}
