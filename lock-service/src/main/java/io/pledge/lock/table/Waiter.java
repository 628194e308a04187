package io.pledge.lock.table;

import java.util.Objects;

/**
 * An owner queued for a lock.
 *
 * @param waitId unique id of this wait, chosen by the server that queued it
 * @param leaseMs lease to grant with
 * @param since when the wait began (member wall clock); the latest {@code since} in a deadlock cycle is the youngest
 */
public record Waiter(String owner, LockMode mode, long leaseMs, long since, String waitId, String identity) {

  /** A waiter whose caller's identity is not known ({@link Holder#identity()}). */
  public Waiter(String owner, LockMode mode, long leaseMs, long since, String waitId) {
    this(owner, mode, leaseMs, since, waitId, "");
  }

  public Waiter {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(waitId, "waitId");
    identity = identity == null ? "" : identity;
    if (leaseMs < 1) {
      throw new IllegalArgumentException("lease must be positive: " + leaseMs);
    }
  }
}
