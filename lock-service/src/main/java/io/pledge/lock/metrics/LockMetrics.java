package io.pledge.lock.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The lock service's meters. Counters count what this server did (each expiry is seen by exactly one server: the one
 * whose processor ended the lease); the holder/waiter gauges count the locks whose partitions this member owns, so
 * the cluster total is the sum over members.
 */
public final class LockMetrics {

  private final Timer acquireLatency;
  private final Timer deadlockDetection;
  private final Counter grants;
  private final Counter releases;
  private final Counter expiries;
  private final Counter deadlocks;
  private final Counter refusals;
  private final Counter releaseAllScanned;
  private final Counter ownerIndexFailures;
  private final AtomicInteger pendingWaits = new AtomicInteger();

  public LockMetrics(MeterRegistry registry, Supplier<long[]> localCounts) {
    acquireLatency = Timer.builder("pledge.lock.acquire").description("Time from an acquire request to its grant")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    deadlockDetection = Timer.builder("pledge.lock.deadlock.detection")
        .description("Time to check the wait-for graph after a wait was added or changed")
        .publishPercentileHistogram().register(registry);
    grants = Counter.builder("pledge.lock.grants").description("Locks granted by this server").register(registry);
    releases = Counter.builder("pledge.lock.releases").description("Locks released through this server")
        .register(registry);
    expiries = Counter.builder("pledge.lock.expiries").description("Leases that ended without renewal")
        .register(registry);
    deadlocks = Counter.builder("pledge.lock.deadlocks").description("Waits aborted as deadlock victims")
        .register(registry);
    refusals = Counter.builder("pledge.lock.refusals").description("Requests refused (bad input, busy, not held,"
        + " no quorum)").register(registry);
    releaseAllScanned = Counter.builder("pledge.lock.release-all.scanned").description("Lock entries ReleaseAll"
        + " looked at to find an owner's locks (those the owner index lists for it; no scan of the map)")
        .register(registry);
    ownerIndexFailures = Counter.builder("pledge.lock.owner-index.failures").description("Owner index writes that"
        + " failed (the lock operation stood; ReleaseAll may leave such a lock to its lease)").register(registry);
    Gauge.builder("pledge.lock.holders", () -> localCounts.get()[0])
        .description("Holders of locks on partitions this member owns (-1 in client mode)").register(registry);
    Gauge.builder("pledge.lock.waiters", () -> localCounts.get()[1])
        .description("Waiters of locks on partitions this member owns (-1 in client mode)").register(registry);
    Gauge.builder("pledge.lock.waits.served", pendingWaits, AtomicInteger::get)
        .description("Acquire calls waiting on this server").register(registry);
  }

  public void granted(long startNanos) {
    grants.increment();
    acquireLatency.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  public void released(int n) {
    releases.increment(n);
  }

  public void expired(int n) {
    if (n > 0) {
      expiries.increment(n);
    }
  }

  public void releaseAllScanned(int n) {
    releaseAllScanned.increment(n);
  }

  public void ownerIndexFailed() {
    ownerIndexFailures.increment();
  }

  public void deadlock() {
    deadlocks.increment();
  }

  public void refused() {
    refusals.increment();
  }

  public void detection(long startNanos) {
    deadlockDetection.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  public void waitStarted() {
    pendingWaits.incrementAndGet();
  }

  public void waitEnded() {
    pendingWaits.decrementAndGet();
  }
}
