package io.pledge.bench.load;

import java.time.Duration;

/**
 * @param concurrency clients (closed loop), or the most operations in flight (open loop)
 * @param rate operations per second to start (open loop), or 0 for a closed loop
 * @param warmup load before the measured window, not measured
 * @param measure the measured window
 * @param progressEvery interval of the progress line
 */
public record LoadSettings(int concurrency, double rate, Duration warmup, Duration measure, Duration progressEvery) {

  public LoadSettings {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    if (rate < 0) {
      throw new IllegalArgumentException("rate must not be negative");
    }
    if (warmup.isNegative() || measure.isNegative() || measure.isZero() || progressEvery.isNegative()
        || progressEvery.isZero()) {
      throw new IllegalArgumentException("measure and progress interval must be positive, warm-up not negative");
    }
  }

  public boolean openLoop() {
    return rate > 0;
  }

  public LoadSettings withConcurrency(int c) {
    return new LoadSettings(c, rate, warmup, measure, progressEvery);
  }

  public LoadSettings withWarmup(Duration w) {
    return new LoadSettings(concurrency, rate, w, measure, progressEvery);
  }
}
