package io.pledge.lock.hazelcast;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * This member's authority to change lock states: a member-local lease on the monotonic clock ({@code System.nanoTime}),
 * extended only by a round trip in which a majority of the members confirmed that this member is still one of them
 * ({@link AuthorityKeeper}), and counted from the instant that round trip <em>started</em>. The entry processors
 * check it before they write ({@link LockProcessor}): a member that was paused (GC, SIGSTOP, a stalled VM) for longer
 * than the validity wakes with its authority lapsed, whatever its failure detector still believes, and grants or
 * renews nothing until a majority that still counts it as a member answers a round trip begun after the pause.
 *
 * <p>Why this is enough: a confirmation at time {@code r >= s} (the round trip's start) means the confirming member
 * had not removed this one before {@code r}; the members that take its partitions over apply the lock-delay
 * ({@code max-lease + margin}) from the removal on. This member's last grant ends before {@code s + validity +
 * max-lease}; so a validity below the margin keeps the two apart (see docs/lock-service.md for the assumptions).
 * Kept in the member's user context, where the entry processors find it.
 */
public final class MemberAuthority {

  /** Key of the authority in {@code HazelcastInstance.getUserContext()}. */
  public static final String USER_CONTEXT_KEY = "pledge.lock.authority";

  private final long validityNanos;
  private final LongSupplier nanoClock;
  /** End of the authority on {@link #nanoClock}; compared by difference, as nanoTime values must be. */
  private final AtomicLong validUntil;
  private final CompletableFuture<Void> first = new CompletableFuture<>();

  public MemberAuthority(Duration validity, LongSupplier nanoClock) {
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("authority validity must be positive: " + validity);
    }
    this.validityNanos = validity.toNanos();
    this.nanoClock = nanoClock;
    this.validUntil = new AtomicLong(nanoClock.getAsLong()); // not held before the first confirmation
  }

  /**
   * The validity derived from the settings: below the lock-delay margin (see the class comment), and below the
   * failure detector's timeout less one heartbeat interval, so that a member paused from just after a confirmation
   * has lost its authority before the others can have removed it. Halved for slack (clock rates, scheduling).
   */
  public static Duration validity(Duration delayMargin, Duration heartbeatTimeout) {
    Duration detector = heartbeatTimeout.minusSeconds(1);
    Duration bound = delayMargin.compareTo(detector) < 0 ? delayMargin : detector;
    return bound.dividedBy(2).compareTo(Duration.ofMillis(20)) < 0 ? Duration.ofMillis(20) : bound.dividedBy(2);
  }

  public long now() {
    return nanoClock.getAsLong();
  }

  /** A majority confirmed this member in a round trip that started at {@code startedAt} ({@link #now()}). */
  public void confirmed(long startedAt) {
    long until = startedAt + validityNanos;
    validUntil.accumulateAndGet(until, (current, next) -> next - current > 0 ? next : current);
    first.complete(null);
  }

  /** Whether this member may grant and renew now. */
  public boolean holds() {
    return nanoClock.getAsLong() - validUntil.get() < 0;
  }

  public Duration validity() {
    return Duration.ofNanos(validityNanos);
  }

  /** Completes at the first confirmation. */
  public CompletableFuture<Void> firstConfirmation() {
    return first;
  }
}
