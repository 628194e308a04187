package io.pledge.participant.client;

import java.util.Objects;

/**
 * How a transaction ended. For an abort, {@code cause} and {@code detail} say why (the coordinator's abort reason:
 * who voted no, a timeout, a rollback request); both are empty for a commit.
 */
public record TxOutcome(String txId, Status status, String cause, String detail) {

  public enum Status { COMMITTED, ABORTED }

  public TxOutcome {
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(status, "status");
    cause = cause == null ? "" : cause;
    detail = detail == null ? "" : detail;
  }

  public boolean committed() {
    return status == Status.COMMITTED;
  }
}
