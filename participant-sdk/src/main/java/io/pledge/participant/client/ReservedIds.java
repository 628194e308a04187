package io.pledge.participant.client;

/**
 * The client's side of ReserveTransactionIds: the block it takes ids from, the one reserved ahead, and when to ask
 * for the next. Pure (the caller passes the clock), guarded by the caller's lock.
 *
 * <p>An id is handed out only while its block has at least the transaction's timeout left: the coordinator presumes
 * an id aborted once its block expired unused, so a transaction begun later than that could not commit.
 */
final class ReservedIds {

  /** A block as the coordinator answered it. */
  record Block(String prefix, long first, int count, long expiresAtMillis, long defaultTimeoutMillis) {}

  /** An id and what the transaction begun with it needs to know. */
  record Taken(String txId, long deadlineMillis) {}

  /** Slack kept between a transaction's deadline and its block's expiry, for the clocks of two machines. */
  static final long CLOCK_SLACK_MILLIS = 1_000;

  private Block current;
  private long next;
  private Block ahead;
  private boolean reserving;
  private long retryAtMillis;

  /**
   * The next id for a transaction of {@code timeoutMillis} (0: the coordinator's default), or null when no block
   * held here has one with that much time left. Only transactions of the default timeout take reserved ids: the
   * coordinator gives a transaction it first hears of by an Enlist the default timeout, and a transaction with a
   * timeout of its own must have it there too (it begins with Begin).
   */
  Taken take(long timeoutMillis, long nowMillis) {
    for (int i = 0; i < 2; i++) {
      if (current != null && next < current.first() + current.count()
          && (timeoutMillis == 0 || timeoutMillis == current.defaultTimeoutMillis())) {
        long deadline = nowMillis + current.defaultTimeoutMillis();
        if (deadline + CLOCK_SLACK_MILLIS <= current.expiresAtMillis()) {
          return new Taken(current.prefix() + next++, deadline);
        }
      }
      if (ahead == null) {
        return null;
      }
      current = ahead;
      next = current.first();
      ahead = null;
    }
    return null;
  }

  /**
   * Whether a reservation should be started now: none running, none ahead, and the current block half used or
   * half-way through the time it can serve transactions of the default timeout.
   */
  boolean shouldReserve(long nowMillis) {
    if (reserving || ahead != null || nowMillis < retryAtMillis) {
      return false;
    }
    return current == null || next - current.first() >= current.count() / 2
        || current.expiresAtMillis() - nowMillis < 3 * current.defaultTimeoutMillis() / 2;
  }

  void reserving() {
    reserving = true;
  }

  /** A reservation answered: the block becomes the one ahead (or the current one when there is none usable). */
  void reserved(Block block) {
    reserving = false;
    if (current != null && !current.prefix().equals(block.prefix())) {
      // Another epoch (a restart, a new leader): the ids of the old one would only be presumed aborted.
      current = null;
      ahead = null;
    }
    if (current == null || next >= current.first() + current.count()) {
      current = block;
      next = block.first();
    } else {
      ahead = block;
    }
  }

  /** A reservation failed: no new one before {@code retryAtMillis} (transactions use Begin meanwhile). */
  void failed(long retryAtMillis) {
    reserving = false;
    this.retryAtMillis = retryAtMillis;
  }

  /** The coordinator answered that {@code prefix}'s epoch is over: forget its blocks. */
  void epochEnded(String txId) {
    if (current != null && txId.startsWith(current.prefix())) {
      current = null;
    }
    if (ahead != null && txId.startsWith(ahead.prefix())) {
      ahead = null;
    }
  }
}
