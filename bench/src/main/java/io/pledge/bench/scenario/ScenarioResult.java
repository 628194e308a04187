package io.pledge.bench.scenario;

import io.pledge.bench.load.LoadResult;
import io.pledge.bench.sut.Measurement.NodeSample;
import io.pledge.bench.sut.Measurement.ProbeSample;
import io.pledge.bench.sut.Measurement.ProcessSample;
import io.pledge.bench.sut.Role;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The numbers of one measured window: a scenario at one load point.
 *
 * @param point "" for the scenario's own run; "c16" or "r2000" for a point of the throughput/latency curve
 * @param rate the open-loop rate, 0 for a closed loop
 * @param probes the scenario's own counters over the window ({@link io.pledge.bench.sut.Probe})
 * @param facts further numbers the run measured, by name, in the order taken (failover times, ...)
 */
public record ScenarioResult(Scenario scenario, String point, int concurrency, double rate, LoadResult load,
    List<ProcessSample> processes, List<NodeSample> nodes, List<ProbeSample> probes, Map<String, Double> facts) {

  public ScenarioResult {
    processes = List.copyOf(processes);
    nodes = List.copyOf(nodes);
    probes = List.copyOf(probes);
    facts = Collections.unmodifiableMap(new LinkedHashMap<>(facts));
  }

  public ScenarioResult(Scenario scenario, String point, int concurrency, double rate, LoadResult load,
      List<ProcessSample> processes, List<NodeSample> nodes) {
    this(scenario, point, concurrency, rate, load, processes, nodes, List.of(), Map.of());
  }

  /**
   * Calls per finished transaction as measured: the probes named "calls: ..." (the client's, the participants'),
   * plus the lock service's calls, which nothing counts (an Acquire per writing participant and the coordinator's
   * ReleaseAll). Empty when the scenario has no call probes.
   */
  public OptionalDouble measuredCalls() {
    List<ProbeSample> calls = probes.stream().filter(p -> p.name().startsWith("calls: ")).toList();
    if (calls.isEmpty() || calls.stream().anyMatch(p -> perTx(p).isEmpty())) {
      return OptionalDouble.empty();
    }
    double sum = calls.stream().mapToDouble(p -> perTx(p).getAsDouble()).sum();
    if (scenario.locks()) {
      sum += scenario.participants().stream().filter(p -> !p.readOnly()).count() + 1;
    }
    return OptionalDouble.of(sum);
  }

  /** A probe's movement per finished transaction, scaled. */
  public OptionalDouble perTx(ProbeSample p) {
    OptionalDouble v = perTx(p.delta());
    return v.isPresent() ? OptionalDouble.of(v.getAsDouble() * p.scale()) : v;
  }

  public String label() {
    return point.isEmpty() ? scenario.name() : scenario.name() + "@" + point;
  }

  /** CPU seconds of {@code p} per finished transaction (committed or aborted). */
  public OptionalDouble cpuPerTx(ProcessSample p) {
    return perTx(p.cpuSeconds());
  }

  public OptionalDouble syncsPerTx(NodeSample n) {
    return perTx(n.syncs());
  }

  /** Syncs per transaction summed over the nodes of {@code role} (all participants together, say). */
  public OptionalDouble syncsPerTx(Role role) {
    List<NodeSample> of = nodes.stream().filter(n -> n.role() == role).toList();
    if (of.isEmpty() || of.stream().anyMatch(n -> n.syncs().isEmpty())) {
      return OptionalDouble.empty();
    }
    return perTx(OptionalDouble.of(of.stream().mapToDouble(n -> n.syncs().getAsDouble()).sum()));
  }

  /** CPU seconds per transaction summed over every measured process. */
  public OptionalDouble totalCpuPerTx() {
    if (processes.isEmpty() || processes.stream().anyMatch(p -> p.cpuSeconds().isEmpty())) {
      return OptionalDouble.empty();
    }
    return perTx(OptionalDouble.of(processes.stream().mapToDouble(p -> p.cpuSeconds().getAsDouble()).sum()));
  }

  private OptionalDouble perTx(OptionalDouble total) {
    long n = load.finished();
    return total.isPresent() && n > 0 ? OptionalDouble.of(total.getAsDouble() / n) : OptionalDouble.empty();
  }
}
