package io.pledge.lock.table;

/** How a lock is held. Compatibility is the classic matrix: only SHARED with SHARED. */
public enum LockMode {
  EXCLUSIVE,
  SHARED;

  public boolean compatibleWith(LockMode other) {
    return this == SHARED && other == SHARED;
  }

  /** Whether a holder in this mode already covers a request in {@code requested} (no upgrade needed). */
  public boolean covers(LockMode requested) {
    return this == EXCLUSIVE || requested == SHARED;
  }
}
