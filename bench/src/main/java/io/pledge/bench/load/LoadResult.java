package io.pledge.bench.load;

import org.HdrHistogram.Histogram;

/**
 * What the measured window saw: operations that completed inside it, and the latency of the committed ones (in
 * microseconds; open loop: from the intended start, so queueing behind a slow system counts).
 */
public record LoadResult(double seconds, long committed, long aborted, long failed, Histogram latencyMicros,
    String firstFailure) {

  public double committedPerSecond() {
    return committed / seconds;
  }

  public double abortedPerSecond() {
    return aborted / seconds;
  }

  /** Finished transactions (committed and aborted): what CPU and syncs are divided by. */
  public long finished() {
    return committed + aborted;
  }

  /** Latency at {@code percentile} (0..100) in milliseconds; 0 without any committed operation. */
  public double millis(double percentile) {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  public double maxMillis() {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMaxValue() / 1000.0;
  }
}
