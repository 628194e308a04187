package io.pledge.lock.hazelcast;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The lock-delay window of one cluster member (Chubby's lock-delay, applied per partition): after the membership
 * changes (a member crashed, left, joined, or a partition lost its replicas), a lock whose partition this member did
 * not own at its last change gets no new grant until {@code change + delay}, where {@code delay} is the longest lease
 * the service grants plus a margin. Any grant the previous owner made (and that a merge or a lost replica may have
 * hidden) has then expired. Kept in the member's user context, where the entry processors find it.
 */
public final class LockGuard {

  /** Key of the guard in {@code HazelcastInstance.getUserContext()}. */
  public static final String USER_CONTEXT_KEY = "pledge.lock.guard";

  private final long delayMs;
  private final LongSupplier clock;
  private final AtomicLong delayUntil = new AtomicLong();

  public LockGuard(Duration delay, LongSupplier clock) {
    this.delayMs = delay.toMillis();
    this.clock = clock;
  }

  /** Opens (or extends) the window after a cluster change seen now. */
  public void onClusterChange() {
    long until = clock.getAsLong() + delayMs;
    delayUntil.accumulateAndGet(until, Math::max);
  }

  /** End of the current window (in the past when there is none). */
  public long delayUntil() {
    return delayUntil.get();
  }

  public long delayMs() {
    return delayMs;
  }
}
