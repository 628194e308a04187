package io.pledge.lock.table;

import java.util.Objects;

/**
 * An owner queued for a lock.
 *
 * @param waitId unique id of this wait, chosen by the server that queued it
 * @param leaseMs lease to grant with
 * @param since when the wait began (member wall clock); the latest {@code since} in a deadlock cycle is the youngest
 */
public record Waiter(String owner, LockMode mode, long leaseMs, long since, String waitId) {

  public Waiter {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(waitId, "waitId");
    if (leaseMs < 1) {
      throw new IllegalArgumentException("lease must be positive: " + leaseMs);
    }
  }
}
