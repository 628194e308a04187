package io.pledge.lock.hazelcast;

import io.pledge.lock.table.Decision;
import io.pledge.lock.table.LockState;
import java.util.Objects;

/** What an entry processor sends back to the server that submitted it: the lock's new state and the decision. */
public record Reply(LockState state, Decision decision) {

  public Reply {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(decision, "decision");
  }
}
