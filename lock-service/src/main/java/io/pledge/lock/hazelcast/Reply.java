package io.pledge.lock.hazelcast;

import io.pledge.lock.table.Decision;
import io.pledge.lock.table.LockState;
import java.util.Objects;

/**
 * What an entry processor sends back to the server that submitted it: the decision, and the lock's new state when
 * the caller needs it ({@link LockProcessor#repliesWithState}; null otherwise). A reply is serialized even on the
 * member that ran the processor, and the state was most of its bytes.
 */
public record Reply(LockState state, Decision decision) {

  public Reply {
    Objects.requireNonNull(decision, "decision");
  }
}
