package io.pledge.chaos;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chaos run from start to verdict: start the cluster, run the transfers while the nemesis works through its
 * schedule, stop the transfers, heal every node, audit. The report and every process's log stay in the run's
 * directory; the seed is printed first so that any failure can be replayed.
 */
public final class ChaosRun {

  private static final Logger LOG = LoggerFactory.getLogger(ChaosRun.class);

  /** The verdict and what it rests on. */
  public record Result(ChaosSettings settings, Audit.Report audit, List<Nemesis.Event> faults, List<Transfer> history,
      Duration duration, Path dir) {

    public boolean ok() {
      return audit.violations().isEmpty();
    }

    public String summary() {
      StringBuilder s = new StringBuilder();
      s.append("chaos seed ").append(settings.seed()).append(": ").append(faults.size()).append(" faults (");
      for (Nemesis.Action action : Nemesis.Action.values()) {
        for (ChaosNode.Kind kind : ChaosNode.Kind.values()) {
          long n = Nemesis.count(faults, kind, action);
          s.append(action).append(' ').append(kind).append(' ').append(n).append(", ");
        }
      }
      s.setLength(s.length() - 2);
      s.append("), ").append(history.size()).append(" transfers told ").append(audit.told())
          .append(", finally ").append(audit.resolved()).append("; settled in ")
          .append(audit.settledIn().toMillis()).append(" ms; ").append(audit.violations().size())
          .append(" violation(s); run took ").append(duration.toSeconds()).append(" s; logs in ").append(dir);
      audit.violations().forEach(v -> s.append("\n  VIOLATION ").append(v));
      return s.toString();
    }
  }

  private ChaosRun() {}

  /** Deletes {@code dir} and everything in it, if it exists. */
  public static void wipe(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * Runs in {@code dir}, which must be empty: the audit checks every account against its initial balance, so data
   * left by an earlier run (a replayed seed) would make every account look wrong.
   */
  public static Result run(Path dir, ChaosSettings settings) throws Exception {
    if (Files.isDirectory(dir)) {
      try (java.util.stream.Stream<Path> left = Files.list(dir)) {
        if (left.findAny().isPresent()) {
          throw new IllegalStateException("a chaos run needs an empty directory; " + dir + " holds an earlier run's"
              + " data");
        }
      }
    }
    long began = System.nanoTime();
    LOG.info("chaos run: seed {} ({}), logs in {}", settings.seed(), settings, dir);
    Vertx vertx = Vertx.vertx();
    try (ChaosCluster cluster = ChaosCluster.start(dir, settings)) {
      Nemesis nemesis = new Nemesis(cluster.nodes(), settings);
      Files.write(dir.resolve("schedule.txt"), nemesis.plan());
      Workload workload = new Workload(vertx, cluster, settings);
      try (Audit audit = new Audit(vertx, cluster, settings)) {
        workload.start();
        nemesis.run();
        // A last stretch without faults: transfers after the last restart show that everything works again.
        Thread.sleep(settings.gap().toMillis());
        List<String> stuck = workload.stop(Duration.ofMinutes(2));
        cluster.heal();
        Audit.Report report = audit.run(workload.history()).with(stuck.stream()
            .map(s -> "liveness: " + s + " after the last fault").toList());
        Result result = new Result(settings, report, nemesis.events(), workload.history(),
            Duration.ofNanos(System.nanoTime() - began), dir);
        Files.writeString(dir.resolve("report.txt"), result.summary() + "\n\nfaults:\n"
            + String.join("\n", result.faults().stream().map(Object::toString).toList()) + "\n\ntransfers:\n"
            + String.join("\n", result.history().stream().map(Object::toString).toList()) + "\n");
        LOG.info(result.summary());
        return result;
      } finally {
        workload.close();
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
