package io.pledge.participant.client;

/** The coordinator rejected the request as malformed (for example too many labels). */
public final class InvalidRequestException extends PledgeException {
  public InvalidRequestException(String txId, String message, Throwable cause) {
    super(txId, message, cause);
  }
}
