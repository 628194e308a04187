package io.pledge.lock.table;

import java.util.Objects;

/**
 * What a store answers for a {@link LockOp}: the decision, and the lock's new state when the caller needs it
 * ({@link LockOp#needsState}; null otherwise: the Hazelcast store serializes a reply even on the member that ran the
 * operation, and the state was most of its bytes).
 */
public record Reply(LockState state, Decision decision) {

  public Reply {
    Objects.requireNonNull(decision, "decision");
  }
}
