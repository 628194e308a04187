package io.pledge.participant.client;

/**
 * Base of the typed failures of {@link TransactionClient}. The subclass says what a caller can do about it; the
 * message says what happened, with the coordinator's own words when it sent some.
 */
public abstract sealed class PledgeException extends RuntimeException
    permits CoordinatorUnavailableException, TransactionUnknownException, TransactionFinishedException,
    TransactionTimeoutException, InvalidRequestException {

  private final String txId;

  PledgeException(String txId, String message, Throwable cause) {
    super(message, cause);
    this.txId = txId;
  }

  /** The transaction concerned, or empty (begin). */
  public String txId() {
    return txId;
  }
}
