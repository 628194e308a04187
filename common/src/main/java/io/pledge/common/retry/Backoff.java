package io.pledge.common.retry;

import java.time.Duration;
import java.util.Objects;

/**
 * Pledge's one backoff, for every retry loop (phase 2, GetOutcome, lock releases, finding a leader). Capped
 * exponential backoff: {@code initial}, twice that, ... up to {@code max}; {@link #jittered} spreads each
 * wait over its upper half, so that many participants that lost the coordinator at the same moment do not ask
 * again in lockstep ("equal jitter"). Pure: the caller supplies the random source.
 */
public record Backoff(Duration initial, Duration max) {

  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
  }

  /** The wait after {@code attempt} failed attempts (0 for the first retry). */
  public Duration delay(int attempt) {
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt must be >= 0");
    }
    long ms = initial.toMillis();
    for (int i = 0; i < attempt && ms < max.toMillis(); i++) {
      ms *= 2;
    }
    return Duration.ofMillis(Math.min(ms, max.toMillis()));
  }

  /** {@link #delay} spread uniformly over [delay/2, delay]. */
  public Duration jittered(int attempt, java.util.random.RandomGenerator random) {
    long ms = delay(attempt).toMillis();
    long half = ms / 2;
    return Duration.ofMillis(ms - half + (half == 0 ? 0 : random.nextLong(half + 1)));
  }
}
