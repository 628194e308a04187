package io.pledge.bench.scenario;

import io.pledge.bench.load.LoadDriver;
import io.pledge.bench.load.LoadResult;
import io.pledge.bench.load.LoadSettings;
import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.bench.sut.CoordinatorCluster;
import io.pledge.bench.sut.Measurement;
import io.pledge.bench.sut.Node;
import io.pledge.bench.sut.Probe;
import io.pledge.bench.sut.Role;
import io.pledge.bench.workload.Workload;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A coordinator cluster's failover under load: after the warm-up, the leader is killed ({@code kill -9}) again and
 * again, and each failover is measured from the kill to the first COMMITTED answer for a transaction begun after
 * the kill (whichever member answered: the client finds the new leader itself). The killed member is restarted and
 * allowed to catch up before the next kill, so every kill finds a full cluster. The window spans all the kills:
 * its throughput is the throughput through failovers, its errors the transactions the kills cost.
 */
final class FailoverRun {

  /** Steady load between kills: this many commits after the restarted member caught up. */
  private static final int COMMITS_BETWEEN_KILLS = 200;
  private static final Duration NEXT_COMMIT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(120);
  private static final long POLL_MILLIS = 5;

  private final Vertx vertx;
  private final Scenario scenario;
  private final LoadSettings load;
  private final CoordinatorCluster cluster;
  private final Consumer<String> out;
  private final AtomicLong committed = new AtomicLong();
  private final AtomicLong armedAt = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong firstCommitAfter = new AtomicLong();

  FailoverRun(Vertx vertx, Scenario scenario, LoadSettings load, CoordinatorCluster cluster, Consumer<String> out) {
    this.vertx = vertx;
    this.scenario = scenario;
    this.load = load;
    this.cluster = cluster;
    this.out = out;
  }

  ScenarioResult run(Workload workload, List<Node> nodes, List<Probe> probes) throws InterruptedException {
    Operation inner = workload.operation();
    Operation watched = (seq, slot) -> {
      long began = System.nanoTime();
      return inner.run(seq, slot).onSuccess(o -> {
        if (o == Outcome.COMMITTED) {
          committed.incrementAndGet();
          // Only a transaction begun after the kill counts: an answer the old leader sent just before dying may
          // reach the client just after the kill, and says nothing about the new leader.
          if (began > armedAt.get()) {
            firstCommitAfter.compareAndSet(0, System.nanoTime());
          }
        }
      });
    };
    int kills = scenario.setup().leaderKills();
    // The window ends after the last failover (endWindow); this is only its upper bound.
    LoadSettings settings = new LoadSettings(load.concurrency(), load.rate(), load.warmup(),
        Duration.ofMinutes(3L * kills), load.progressEvery());
    // A restarted member's counters start again from 0: its syncs across the kills would be a false delta.
    Measurement measurement = new Measurement(nodes.stream().map(n -> n.role() == Role.COORDINATOR
        ? new Node(n.name(), n.role(), n.pid(), Optional.empty()) : n).toList(), probes);
    CountDownLatch opened = new CountDownLatch(1);
    LoadDriver driver = new LoadDriver(vertx, scenario.name(), settings, watched, out);
    AtomicReference<LoadResult> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread driving = new Thread(() -> {
      try {
        result.set(driver.run(new LoadDriver.Window() {
          @Override
          public void opening() {
            measurement.opening();
            opened.countDown();
          }

          @Override
          public void closed() {
            measurement.closed();
          }
        }));
      } catch (Throwable e) {
        failure.set(e);
        opened.countDown();
      }
    }, "bench-failover-load");
    driving.start();
    Map<String, Double> facts = new LinkedHashMap<>();
    List<Double> times = new ArrayList<>();
    try {
      opened.await();
      for (int k = 1; k <= kills && failure.get() == null; k++) {
        awaitCommits(COMMITS_BETWEEN_KILLS);
        int leader = cluster.awaitLeader(RESTART_TIMEOUT);
        firstCommitAfter.set(0);
        long killedAt = System.nanoTime();
        armedAt.set(killedAt);
        cluster.kill(leader);
        double ms = awaitFirstCommit(killedAt);
        armedAt.set(Long.MAX_VALUE);
        facts.put("failover " + k + " ms (" + cluster.name(leader) + " killed)", ms);
        if (ms >= 0) {
          times.add(ms);
        }
        out.accept(String.format(Locale.ROOT, "  kill %d of %d: leader %s killed (kill -9), next commit after %s",
            k, kills, cluster.name(leader), ms >= 0 ? String.format(Locale.ROOT, "%.0f ms", ms)
                : "none within " + NEXT_COMMIT_TIMEOUT.toSeconds() + " s"));
        cluster.restart(leader);
        cluster.awaitCaughtUp(leader, RESTART_TIMEOUT);
      }
    } finally {
      driver.endWindow();
      driving.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("the failover load failed: " + failure.get(), failure.get());
    }
    times.sort(Double::compare);
    facts.put("leader kills", (double) facts.size());
    facts.put("failovers without a commit within " + NEXT_COMMIT_TIMEOUT.toSeconds() + " s",
        (double) (kills - times.size()));
    if (!times.isEmpty()) {
      facts.put("failover min ms", times.get(0));
      facts.put("failover median ms", median(times));
      facts.put("failover max ms", times.get(times.size() - 1));
      out.accept(String.format(Locale.ROOT, "  failover over %d kills: min %.0f, median %.0f, max %.0f ms",
          times.size(), times.get(0), median(times), times.get(times.size() - 1)));
    }
    LoadResult r = result.get();
    ScenarioRunner.printResult(out, scenario.name(), r);
    return new ScenarioResult(scenario, "", settings.concurrency(), settings.rate(), r, measurement.processes(),
        measurement.nodes(), measurement.probes(), facts);
  }

  static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private void awaitCommits(int n) throws InterruptedException {
    long target = committed.get() + n;
    long deadline = System.nanoTime() + NEXT_COMMIT_TIMEOUT.toNanos();
    while (committed.get() < target && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
    }
  }

  /** Milliseconds from {@code killedAt} to the first commit after it; -1 when none came in time. */
  private double awaitFirstCommit(long killedAt) throws InterruptedException {
    long deadline = killedAt + NEXT_COMMIT_TIMEOUT.toNanos();
    while (firstCommitAfter.get() == 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
    }
    long at = firstCommitAfter.get();
    return at == 0 ? -1 : (at - killedAt) / 1e6;
  }
}
