package io.pledge.lock.transport;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Lock waits in progress per owner, bounded (issue 12 item 2): one owner (a transaction, a client session) cannot
 * queue waits without end, each holding memory in the cluster and a stream here. A transaction waits for one lock
 * at a time in the usual case; {@link #DEFAULT_PER_OWNER} leaves room for parallel work under one owner. Shared by
 * the handlers of every event loop: thread-safe.
 */
final class WaitBudget {

  static final int DEFAULT_PER_OWNER = 64;

  private final int perOwner;
  private final ConcurrentHashMap<String, Integer> waits = new ConcurrentHashMap<>();

  WaitBudget(int perOwner) {
    if (perOwner < 1) {
      throw new IllegalArgumentException("lock waits per owner must be positive");
    }
    this.perOwner = perOwner;
  }

  /** Takes a place for a wait of {@code owner}; false when it has {@link #perOwner} already. */
  boolean tryTake(String owner) {
    boolean[] taken = {false};
    waits.compute(owner, (o, n) -> {
      int current = n == null ? 0 : n;
      if (current >= perOwner) {
        return n;
      }
      taken[0] = true;
      return current + 1;
    });
    return taken[0];
  }

  /** Gives back the place of a wait that ended (granted, refused, timed out or withdrawn). */
  void give(String owner) {
    waits.computeIfPresent(owner, (o, n) -> n <= 1 ? null : n - 1);
  }

  String exhausted(String owner) {
    return "owner " + owner + " has " + perOwner + " lock waits in progress, the bound per owner (lock service"
        + " limit of " + perOwner + " waits per owner): wait for some to end";
  }

  /** Owners with waits in progress, for tests. */
  int owners() {
    return waits.size();
  }
}
