package io.pledge.participant.client;

/** No answer within the call's deadline. For a commit the outcome is unknown: commit again (it is idempotent) to learn it. */
public final class TransactionTimeoutException extends PledgeException {
  public TransactionTimeoutException(String txId, String message, Throwable cause) {
    super(txId, message, cause);
  }
}
