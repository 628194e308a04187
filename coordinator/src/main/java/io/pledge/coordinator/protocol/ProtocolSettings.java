package io.pledge.coordinator.protocol;

import io.pledge.common.retry.Backoff;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The protocol's timing knobs.
 *
 * @param defaultTxTimeout a transaction's lifetime when Begin asks for none
 * @param maxTxTimeout the longest lifetime Begin may ask for
 * @param prepareTimeout how long votes are awaited before the missing ones count as no
 * @param callTimeout deadline of one phase-2 call to a participant
 * @param retryBase first phase-2 retry delay; doubles per attempt
 * @param retryCap longest phase-2 retry delay
 * @param finishedInMemory how long finished transactions stay in memory (later lookups go to the log)
 * @param maxFinishedInMemory the most finished transactions kept in memory
 */
public record ProtocolSettings(Duration defaultTxTimeout, Duration maxTxTimeout, Duration prepareTimeout,
    Duration callTimeout, Duration retryBase, Duration retryCap, Duration finishedInMemory, int maxFinishedInMemory) {

  public ProtocolSettings {
    Objects.requireNonNull(defaultTxTimeout);
    Objects.requireNonNull(maxTxTimeout);
    Objects.requireNonNull(prepareTimeout);
    Objects.requireNonNull(callTimeout);
    Objects.requireNonNull(retryBase);
    Objects.requireNonNull(retryCap);
    Objects.requireNonNull(finishedInMemory);
    if (defaultTxTimeout.compareTo(maxTxTimeout) > 0) {
      throw new IllegalArgumentException("default transaction timeout exceeds the maximum");
    }
    if (retryBase.isZero() || retryBase.isNegative() || retryCap.compareTo(retryBase) < 0) {
      throw new IllegalArgumentException("retry base must be positive and at most the retry cap");
    }
  }

  /** The backoff of phase-2 retries: from {@code retryBase}, doubling up to {@code retryCap}, with jitter. */
  public Backoff retry() {
    return new Backoff(retryBase, retryCap);
  }

  /** The wait before retry {@code attempt}: none for 0, about {@code retryBase} for 1, then 2x, 4x... */
  public long retryDelayMillis(int attempt, RandomGenerator random) {
    return attempt <= 0 ? 0 : Math.max(1, retry().jittered(attempt - 1, random).toMillis());
  }
}
