package io.pledge.examples.bank;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counters and latency of the transfers. Recorded from any thread; {@link #progress} and {@link #summary} are
 * called from one thread at a time (the reporter), which owns the cumulative histogram.
 */
final class TransferStats {

  private final LongAdder committed = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder bankUnreachable = new LongAdder();
  private final LongAdder votedNo = new LongAdder();
  private final LongAdder unknown = new LongAdder();
  private final Recorder recorder = new Recorder(3);
  private final Histogram total = new Histogram(3);
  private final long startNanos = System.nanoTime();
  private long lastNanos = startNanos;
  private long lastCommitted;
  /** {@link #watch}: the fault's time, and the first commit after it (0: none yet). */
  private final AtomicLong watchFrom = new AtomicLong();
  private final AtomicLong firstAfter = new AtomicLong();

  void committed(long micros) {
    committed.increment();
    recorder.recordValue(micros);
    long now = System.nanoTime();
    long from = watchFrom.get();
    if (from != 0 && now - from > 0) {
      firstAfter.compareAndSet(0, now);
    }
  }

  /** Notes a fault at {@code nanos} ({@link System#nanoTime}); {@link #firstCommitAfterWatch} tells when the next
   * transfer committed. */
  void watch(long nanos) {
    firstAfter.set(0);
    watchFrom.set(nanos);
  }

  /** Milliseconds from the fault {@link #watch}ed to the first transfer committed after it, if one has. */
  Optional<Long> firstCommitAfterWatch() {
    long first = firstAfter.get();
    return first == 0 ? Optional.empty() : Optional.of((first - watchFrom.get()) / 1_000_000);
  }

  void refused() {
    refused.increment();
  }

  void bankUnreachable() {
    bankUnreachable.increment();
  }

  void votedNo() {
    votedNo.increment();
  }

  void outcomeUnknown() {
    unknown.increment();
  }

  long committed() {
    return committed.sum();
  }

  long aborted() {
    return refused.sum() + bankUnreachable.sum() + votedNo.sum();
  }

  long unknown() {
    return unknown.sum();
  }

  /** One line: totals, throughput and latency of the interval since the last call. */
  String progress() {
    Histogram interval = recorder.getIntervalHistogram();
    total.add(interval);
    long now = System.nanoTime();
    long c = committed.sum();
    double tps = (c - lastCommitted) / ((now - lastNanos) / 1e9);
    lastNanos = now;
    lastCommitted = c;
    return String.format("[%3ds] committed %6d  aborted %5d (%s)  %6.1f tx/s  latency p50 %6.1f ms  p99 %6.1f ms",
        (now - startNanos) / 1_000_000_000L, c, aborted(), causes(), tps, ms(interval, 50), ms(interval, 99));
  }

  String summary() {
    total.add(recorder.getIntervalHistogram());
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return String.format("transfers: %d committed, %d aborted (%s), %d outcome unknown%n"
        + "throughput: %.1f committed/s over %.0f s%n"
        + "latency of committed transfers: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
        committed.sum(), aborted(), causes(), unknown.sum(), committed.sum() / seconds, seconds, ms(total, 50),
        ms(total, 90), ms(total, 99), total.getMaxValue() / 1000.0);
  }

  private String causes() {
    return "refused " + refused.sum() + ", bank down " + bankUnreachable.sum() + ", no or missing vote "
        + votedNo.sum();
  }

  private static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }
}
