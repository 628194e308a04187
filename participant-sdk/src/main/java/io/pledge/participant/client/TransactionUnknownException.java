package io.pledge.participant.client;

/** The coordinator does not know the transaction: a wrong id, or one forgotten after it finished. */
public final class TransactionUnknownException extends PledgeException {
  public TransactionUnknownException(String txId, String message, Throwable cause) {
    super(txId, message, cause);
  }
}
