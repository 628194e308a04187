package io.pledge.participant.client;

import java.util.Objects;
import java.util.Optional;

/**
 * The result of {@link TransactionClient#inTransaction}: the outcome, the work's value when it succeeded, and the
 * work's failure when it failed (the transaction was then rolled back).
 */
public record TxResult<T>(TxOutcome outcome, T value, Throwable failure) {

  public TxResult {
    Objects.requireNonNull(outcome, "outcome");
    if (failure != null && outcome.committed()) {
      throw new IllegalArgumentException("a failed work cannot have committed");
    }
  }

  public boolean committed() {
    return outcome.committed();
  }

  public Optional<Throwable> workFailure() {
    return Optional.ofNullable(failure);
  }
}
