package io.pledge.participant.client;

/** The transaction's state forbids the call: for example a rollback after it committed, or work after its commit began. */
public final class TransactionFinishedException extends PledgeException {
  public TransactionFinishedException(String txId, String message, Throwable cause) {
    super(txId, message, cause);
  }
}
