package io.pledge.bench.sut;

import io.pledge.bench.load.LoadDriver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Snapshots around the measured window: CPU seconds of every process (once per process, however many nodes share
 * it), forced syncs of every node; and each process's peak RSS at the end.
 */
public final class Measurement implements LoadDriver.Window {

  /**
   * One process: CPU used inside the window, and its peak memory so far.
   *
   * @param role its nodes' role, or "shared" when it runs nodes of several roles ({@code --in-process})
   */
  public record ProcessSample(String label, String role, long pid, OptionalDouble cpuSeconds,
      OptionalLong peakRssBytes) {}

  /** One node's syncs inside the window. */
  public record NodeSample(String name, Role role, OptionalDouble syncs) {}

  /** How much a {@link Probe}'s counter moved inside the window (empty when it could not be read). */
  public record ProbeSample(String name, OptionalDouble delta, double scale) {}

  private final List<Node> nodes;
  private final Map<Long, String> processes = new LinkedHashMap<>();
  private final Map<Long, String> roles = new LinkedHashMap<>();
  private final Map<Long, OptionalDouble> cpuBefore = new LinkedHashMap<>();
  private final Map<String, OptionalDouble> syncsBefore = new LinkedHashMap<>();
  private final List<ProcessSample> processSamples = new ArrayList<>();
  private final List<NodeSample> nodeSamples = new ArrayList<>();
  private final List<Probe> probes;
  private final List<OptionalDouble> probesBefore = new ArrayList<>();
  private final List<ProbeSample> probeSamples = new ArrayList<>();

  public Measurement(List<Node> nodes) {
    this(nodes, List.of());
  }

  public Measurement(List<Node> nodes, List<Probe> probes) {
    this.nodes = List.copyOf(nodes);
    this.probes = List.copyOf(probes);
    Map<Long, List<String>> names = new LinkedHashMap<>();
    for (Node n : nodes) {
      n.pid().ifPresent(pid -> {
        names.computeIfAbsent(pid, k -> new ArrayList<>()).add(n.name());
        roles.merge(pid, n.role().label(), (a, b) -> a.equals(b) ? a : "shared");
      });
    }
    names.forEach((pid, list) -> processes.put(pid, list.size() == 1 ? list.get(0)
        : list.stream().collect(Collectors.joining("+"))));
  }

  @Override
  public void opening() {
    processes.keySet().forEach(pid -> cpuBefore.put(pid, ProcStats.cpuSeconds(pid)));
    for (Node n : nodes) {
      n.syncs().ifPresent(s -> syncsBefore.put(n.name(), s.read()));
    }
    probes.forEach(p -> probesBefore.add(p.counter().read()));
  }

  @Override
  public void closed() {
    processes.forEach((pid, label) -> processSamples.add(new ProcessSample(label, roles.get(pid), pid,
        delta(cpuBefore.getOrDefault(pid, OptionalDouble.empty()), ProcStats.cpuSeconds(pid)),
        ProcStats.peakRssBytes(pid))));
    for (Node n : nodes) {
      if (n.syncs().isPresent()) {
        nodeSamples.add(new NodeSample(n.name(), n.role(),
            delta(syncsBefore.getOrDefault(n.name(), OptionalDouble.empty()), n.syncs().get().read())));
      } else if (n.role() == Role.COORDINATOR || n.role() == Role.PARTICIPANT) {
        nodeSamples.add(new NodeSample(n.name(), n.role(), OptionalDouble.empty()));
      }
    }
    for (int i = 0; i < probes.size(); i++) {
      Probe p = probes.get(i);
      probeSamples.add(new ProbeSample(p.name(), delta(probesBefore.get(i), p.counter().read()), p.scale()));
    }
  }

  private static OptionalDouble delta(OptionalDouble before, OptionalDouble after) {
    return before.isPresent() && after.isPresent() ? OptionalDouble.of(after.getAsDouble() - before.getAsDouble())
        : OptionalDouble.empty();
  }

  public List<ProcessSample> processes() {
    return List.copyOf(processSamples);
  }

  public List<NodeSample> nodes() {
    return List.copyOf(nodeSamples);
  }

  public List<ProbeSample> probes() {
    return List.copyOf(probeSamples);
  }
}
