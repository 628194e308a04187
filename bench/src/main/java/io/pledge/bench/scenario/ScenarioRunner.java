package io.pledge.bench.scenario;

import io.pledge.bench.baseline.NarayanaWorkload;
import io.pledge.bench.load.LoadDriver;
import io.pledge.bench.load.LoadResult;
import io.pledge.bench.load.LoadSettings;
import io.pledge.bench.sut.Measurement;
import io.pledge.bench.sut.Node;
import io.pledge.bench.sut.Probe;
import io.pledge.bench.sut.SystemUnderTest;
import io.pledge.bench.workload.DirectWorkload;
import io.pledge.bench.workload.EchoWorkload;
import io.pledge.bench.workload.LockWorkload;
import io.pledge.bench.workload.PledgeWorkload;
import io.pledge.bench.workload.Workload;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs scenarios: deploys the system, builds the workload, drives it through warm-up and window with the
 * measurements around the window, and for the headline scenario also the other points of the throughput/latency
 * curve on the same, already warm system.
 */
public final class ScenarioRunner {

  /**
   * @param curveConcurrency closed-loop curve points (concurrencies)
   * @param curveRates open-loop curve points (operations per second); used instead when the load is open-loop
   * @param curveWarmup warm-up of each further curve point (the system is warm already)
   * @param longPath Pledge transactions call Begin and their participants Enlist (before issue 16's short path)
   */
  public record Plan(LoadSettings load, int connections, List<Integer> curveConcurrency, List<Double> curveRates,
      Duration curveWarmup, boolean longPath) {
    public Plan {
      curveConcurrency = List.copyOf(curveConcurrency);
      curveRates = List.copyOf(curveRates);
    }

    public Plan(LoadSettings load, int connections, List<Integer> curveConcurrency, List<Double> curveRates,
        Duration curveWarmup) {
      this(load, connections, curveConcurrency, curveRates, curveWarmup, false);
    }
  }

  private final Vertx vertx;
  private final Deployer deployer;
  private final Plan plan;
  private final Path dataDir;
  private final Consumer<String> out;

  public ScenarioRunner(Vertx vertx, Deployer deployer, Plan plan, Path dataDir, Consumer<String> out) {
    this.vertx = vertx;
    this.deployer = deployer;
    this.plan = plan;
    this.dataDir = dataDir;
    this.out = out;
  }

  public List<ScenarioResult> run(Scenario scenario) throws Exception {
    out.accept("== " + scenario.name() + ": " + scenario.description());
    List<ScenarioResult> results = new ArrayList<>();
    long deploying = System.nanoTime();
    try (SystemUnderTest sut = deployer.deploy(scenario); Workload workload = workload(scenario, sut)) {
      out.accept(String.format(Locale.ROOT, "  (system up in %.1f s)", (System.nanoTime() - deploying) / 1e9));
      List<Node> nodes = new ArrayList<>(sut.nodes());
      nodes.addAll(workload.nodes());
      List<Probe> probes = new ArrayList<>(sut.probes());
      probes.addAll(workload.probes());
      if (scenario.kind() == Scenario.Kind.PLEDGE) {
        probes.add(sut.participantCalls());
      }
      if (scenario.setup().leaderKills() > 0) {
        results.add(new FailoverRun(vertx, scenario, plan.load(), sut.cluster().orElseThrow(), out)
            .run(workload, nodes, probes));
        return results;
      }
      results.add(measure(scenario, "", plan.load(), workload, nodes, probes));
      if (scenario.name().equals(Scenarios.HEADLINE)) {
        for (LoadSettings point : curvePoints()) {
          String name = point.openLoop() ? "r" + (long) point.rate() : "c" + point.concurrency();
          results.add(measure(scenario, name, point, workload, nodes,
              probes.stream().filter(p -> p.name().startsWith("calls: ")).toList()));
        }
      }
    }
    return results;
  }

  private List<LoadSettings> curvePoints() {
    LoadSettings main = plan.load();
    List<LoadSettings> points = new ArrayList<>();
    if (main.openLoop()) {
      for (double rate : plan.curveRates()) {
        if (rate != main.rate()) {
          points.add(new LoadSettings(main.concurrency(), rate, plan.curveWarmup(), main.measure(),
              main.progressEvery()));
        }
      }
    } else {
      for (int c : plan.curveConcurrency()) {
        if (c != main.concurrency()) {
          points.add(main.withConcurrency(c).withWarmup(plan.curveWarmup()));
        }
      }
    }
    return points;
  }

  private int mostClients() {
    return Math.max(plan.load().concurrency(),
        plan.curveConcurrency().stream().mapToInt(Integer::intValue).max().orElse(1));
  }

  private Workload workload(Scenario s, SystemUnderTest sut) throws Exception {
    int connections = plan.connections();
    return switch (s.kind()) {
      case PLEDGE -> new PledgeWorkload(vertx, sut.coordinators(), sut.participants(), connections,
          sut.clientTls(), !plan.longPath());
      case DIRECT -> new DirectWorkload(vertx, sut.participants(), connections);
      case ECHO -> new EchoWorkload(vertx, sut.echo().orElseThrow(), connections, false);
      case ECHO_SESSION -> new EchoWorkload(vertx, sut.echo().orElseThrow(), connections, true);
      case LOCKS -> new LockWorkload(vertx, sut.locks().orElseThrow(), connections, s.hotLocks(), sut.clientTls());
      case NARAYANA -> new NarayanaWorkload(dataDir.resolve(s.name()), s.participants().size(), mostClients());
    };
  }

  private ScenarioResult measure(Scenario scenario, String point, LoadSettings settings, Workload workload,
      List<Node> nodes, List<Probe> probes) throws InterruptedException {
    String label = point.isEmpty() ? scenario.name() : scenario.name() + "@" + point;
    Measurement measurement = new Measurement(nodes, probes);
    LoadResult load = new LoadDriver(vertx, label, settings, workload.operation(), out).run(measurement);
    ScenarioResult result = new ScenarioResult(scenario, point, settings.concurrency(), settings.rate(), load,
        measurement.processes(), measurement.nodes(), measurement.probes(), Map.of());
    printResult(out, label, load);
    return result;
  }

  static void printResult(Consumer<String> out, String label, LoadResult load) {
    out.accept(String.format(Locale.ROOT,
        "  %-18s RESULT  %9.0f tx/s committed, %7.0f/s aborted, %d errors; p50 %.2f p99 %.2f p99.9 %.2f max %.2f ms",
        label, load.committedPerSecond(), load.abortedPerSecond(), load.failed(), load.millis(50), load.millis(99),
        load.millis(99.9), load.maxMillis()));
    if (load.firstFailure() != null) {
      out.accept("  " + label + " first error: " + load.firstFailure());
    }
  }
}
