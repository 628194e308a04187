package io.pledge.bench.report;

import io.pledge.bench.scenario.Scenario;
import io.pledge.bench.scenario.ScenarioResult;
import io.pledge.bench.scenario.Scenarios;
import io.pledge.bench.sut.Measurement.NodeSample;
import io.pledge.bench.sut.Measurement.ProbeSample;
import io.pledge.bench.sut.Measurement.ProcessSample;
import io.pledge.bench.sut.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Writes a run's results: {@code report.md} (tables, ratios to the baselines, machine, the plot), {@code
 * results.json} (everything, per process and per node), {@code results.csv} (one row per measured window, for
 * plotting) and the latency/throughput PNG.
 */
public final class ReportWriter {

  private final Path dir;
  private final RunInfo run;
  private final List<ScenarioResult> results;

  public ReportWriter(Path dir, RunInfo run, List<ScenarioResult> results) {
    this.dir = dir;
    this.run = run;
    this.results = List.copyOf(results);
  }

  /** Writes the files; returns the table of the report (what the console shows at the end). */
  public String write() throws IOException {
    Files.createDirectories(dir);
    List<ScenarioResult> curve = results.stream().filter(r -> r.scenario().name().equals(Scenarios.HEADLINE))
        .toList();
    boolean plotted = LatencyPlot.write(dir, "Pledge, 2 participants: latency against throughput", curve);
    String table = table();
    Files.writeString(dir.resolve("report.md"), markdown(table, curve, plotted));
    Files.writeString(dir.resolve("results.json"), json().encodePrettily() + "\n");
    Files.writeString(dir.resolve("results.csv"), csv());
    return table;
  }

  // ---- markdown

  private String table() {
    StringBuilder b = new StringBuilder();
    b.append("| scenario | clients | committed/s | aborted/s | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms"
        + " | coord syncs/tx | participant syncs/tx | CPU ms/tx (all) | calls/tx |\n");
    b.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (ScenarioResult r : results) {
      b.append("| ").append(r.label()).append(" | ").append(clients(r))
          .append(" | ").append(num(r.load().committedPerSecond(), 0))
          .append(" | ").append(num(r.load().abortedPerSecond(), 0))
          .append(" | ").append(r.load().failed())
          .append(" | ").append(num(r.load().millis(50), 2))
          .append(" | ").append(num(r.load().millis(90), 2))
          .append(" | ").append(num(r.load().millis(99), 2))
          .append(" | ").append(num(r.load().millis(99.9), 2))
          .append(" | ").append(num(r.load().maxMillis(), 2))
          .append(" | ").append(opt(r.syncsPerTx(Role.COORDINATOR), 3, hasRole(r, Role.COORDINATOR)))
          .append(" | ").append(opt(r.syncsPerTx(Role.PARTICIPANT), 3, hasRole(r, Role.PARTICIPANT)))
          .append(" | ").append(opt(scale(r.totalCpuPerTx(), 1000), 3, true))
          .append(" | ").append(r.measuredCalls().isPresent() ? num(r.measuredCalls().getAsDouble(), 2)
              : Integer.toString(r.scenario().roundTrips()))
          .append(" |\n");
    }
    return b.toString();
  }

  private String markdown(String table, List<ScenarioResult> curve, boolean plotted) {
    StringBuilder b = new StringBuilder();
    b.append("# Pledge benchmark, ").append(run.startedAt()).append("\n\n");
    b.append("- command: `").append(run.command()).append("`\n");
    b.append("- servers: ").append(run.deployment()).append("\n");
    b.append("- load: ").append(run.load()).append("\n");
    MachineInfo m = run.machine();
    b.append("- machine: ").append(m.cores()).append(" cores (").append(m.cpu()).append("), ").append(m.memory())
        .append(" memory, ").append(m.os()).append("\n");
    b.append("- JDK: ").append(m.jdk()).append("\n");
    b.append("- load average (1/5/15 min) before: ").append(run.loadAverageBefore()).append(", after: ")
        .append(run.loadAverageAfter()).append("\n");
    b.append(String.format(Locale.ROOT, "- whole run: %.0f s%n", run.wallSeconds()));
    run.failures().forEach((s, why) -> b.append("- **").append(s).append(" did not run**: ").append(why)
        .append("\n"));
    b.append("\n## Scenarios\n\n").append(table).append("\n");
    b.append("Latency is commit latency of committed transactions (lock pairs, echo calls) in milliseconds; syncs/tx"
        + " are device syncs of the group-committed logs per finished transaction (participants summed); CPU ms/tx"
        + " is user+system CPU of every measured process (client included) per finished transaction; calls/tx is"
        + " the calls one transaction makes on loopback (Pledge's own as frames on call sessions): for Pledge"
        + " scenarios as counted by the client and the participants over the window (phase 2 batched, a share of"
        + " each id reservation), plus the lock service's calls; for the others by construction.\n\n");
    b.append("## Against the baselines\n\n").append(ratios()).append("\n");
    b.append("## Per process\n\n| scenario | process | role | CPU s | CPU ms/tx | peak RSS MB |\n"
        + "|---|---|---|--:|--:|--:|\n");
    for (ScenarioResult r : results) {
      for (ProcessSample p : r.processes()) {
        b.append("| ").append(r.label()).append(" | ").append(p.label()).append(" (pid ").append(p.pid())
            .append(") | ").append(p.role()).append(" | ").append(opt(p.cpuSeconds(), 2, true))
            .append(" | ").append(opt(scale(r.cpuPerTx(p), 1000), 3, true))
            .append(" | ").append(mb(p.peakRssBytes())).append(" |\n");
      }
    }
    b.append("\n## Syncs per node\n\n| scenario | node | role | syncs | syncs/tx |\n|---|---|---|--:|--:|\n");
    for (ScenarioResult r : results) {
      for (NodeSample n : r.nodes()) {
        b.append("| ").append(r.label()).append(" | ").append(n.name()).append(" | ").append(n.role().label())
            .append(" | ").append(opt(n.syncs(), 0, true)).append(" | ").append(opt(r.syncsPerTx(n), 3, true))
            .append(" |\n");
      }
    }
    String further = further();
    if (!further.isEmpty()) {
      b.append("\n## Scenario measurements\n\n").append(further);
    }
    String variants = variants();
    if (!variants.isEmpty()) {
      b.append("\n## Beside ").append(Scenarios.HEADLINE).append(" and locks-uncontended\n\n").append(variants);
    }
    b.append("\n## Latency against throughput (").append(Scenarios.HEADLINE).append(")\n\n");
    if (plotted) {
      b.append("![latency against throughput](").append(LatencyPlot.FILE).append(")\n\n");
    }
    b.append("| point | clients | committed/s | p50 ms | p99 ms |\n|---|--:|--:|--:|--:|\n");
    curve.stream().sorted(java.util.Comparator.comparingDouble(r -> r.rate() > 0 ? r.rate() : r.concurrency()))
        .forEach(r -> b.append("| ").append(r.label()).append(" | ").append(clients(r)).append(" | ")
            .append(num(r.load().committedPerSecond(), 0)).append(" | ").append(num(r.load().millis(50), 2))
            .append(" | ").append(num(r.load().millis(99), 2)).append(" |\n"));
    return b.toString();
  }

  private String ratios() {
    Optional<ScenarioResult> pledge = main(Scenarios.HEADLINE);
    if (pledge.isEmpty() || pledge.get().load().committed() == 0) {
      return "The headline scenario (" + Scenarios.HEADLINE + ") did not run: no ratios.\n";
    }
    double tps = pledge.get().load().committedPerSecond();
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "Pledge with 2 participants: **%.0f tx/s**, p99 %.2f ms.%n%n", tps,
        pledge.get().load().millis(99)));
    main("direct-2p").ifPresent(d -> b.append(String.format(Locale.ROOT,
        "- against the same work without a coordinator (direct-2p, %.0f tx/s, the machine's upper bound): "
            + "**%.2f** (%.0f%%)%n", d.load().committedPerSecond(), tps / d.load().committedPerSecond(),
        100 * tps / d.load().committedPerSecond())));
    main("narayana-2p").ifPresent(n -> b.append(String.format(Locale.ROOT,
        "- against Narayana's in-process JTA on the same stores (narayana-2p, %.0f tx/s): **%.2f**x%n",
        n.load().committedPerSecond(), tps / n.load().committedPerSecond())));
    Optional<ScenarioResult> unary = main("echo");
    Optional<ScenarioResult> session = main("echo-session");
    if (unary.isPresent() && session.isPresent()) {
      // The transport's ceiling for this mix of calls: the time each kind takes at its own ceiling, added up.
      double all = pledge.get().measuredCalls().orElse(pledge.get().scenario().roundTrips());
      int u = pledge.get().scenario().unaryCalls();
      double perUnary = unary.get().load().committedPerSecond();
      double perFrame = session.get().load().committedPerSecond();
      double ceiling = 1 / (u / perUnary + (all - u) / perFrame);
      b.append(String.format(Locale.ROOT,
          "- loopback gRPC ceiling: %.0f unary calls/s, %.0f call-session frames/s; a 2-participant transaction"
              + " makes %d unary calls (the service's work calls) and %.2f frames (Pledge's), so the transport alone"
              + " allows **%.0f tx/s**; Pledge reaches %.0f%% of it%n",
          perUnary, perFrame, u, all - u, ceiling, 100 * tps / ceiling));
    }
    return b.toString();
  }

  /** The scenarios' own counters per transaction, and the facts they measured (failover times). */
  private String further() {
    StringBuilder b = new StringBuilder();
    for (ScenarioResult r : results) {
      for (ProbeSample p : r.probes()) {
        b.append("| ").append(r.label()).append(" | ").append(p.name()).append(" per transaction | ")
            .append(opt(r.perTx(p), 3, true)).append(" |\n");
      }
      r.facts().forEach((name, v) -> b.append("| ").append(r.label()).append(" | ").append(name).append(" | ")
          .append(num(v, 0)).append(" |\n"));
    }
    return b.isEmpty() ? "" : "| scenario | measure | value |\n|---|---|--:|\n" + b;
  }

  /** Each variant of a plain scenario (TLS, PostgreSQL, cluster) against it, from the same run. */
  private String variants() {
    StringBuilder b = new StringBuilder();
    String[][] pairs = {{"2p-tls", "2p"}, {"locks-uncontended-tls", "locks-uncontended"}, {"2p-postgres", "2p"},
        {"2p-cluster", "2p"}};
    for (String[] pair : pairs) {
      Optional<ScenarioResult> v = main(pair[0]);
      Optional<ScenarioResult> base = main(pair[1]);
      if (v.isPresent() && base.isPresent() && base.get().load().committedPerSecond() > 0) {
        ScenarioResult x = v.get();
        ScenarioResult y = base.get();
        b.append("| ").append(pair[0]).append(" | ").append(pair[1])
            .append(" | ").append(num(x.load().committedPerSecond(), 0)).append(" / ")
            .append(num(y.load().committedPerSecond(), 0))
            .append(" | **").append(num(x.load().committedPerSecond() / y.load().committedPerSecond(), 2))
            .append("** | ").append(num(x.load().millis(50), 2)).append(" / ").append(num(y.load().millis(50), 2))
            .append(" | ").append(num(x.load().millis(99), 2)).append(" / ").append(num(y.load().millis(99), 2))
            .append(" | ").append(opt(scale(x.totalCpuPerTx(), 1000), 3, true)).append(" / ")
            .append(opt(scale(y.totalCpuPerTx(), 1000), 3, true)).append(" |\n");
      }
    }
    return b.isEmpty() ? "" : "| scenario | against | committed/s | ratio | p50 ms | p99 ms | CPU ms/tx |\n"
        + "|---|---|--:|--:|--:|--:|--:|\n" + b;
  }

  private Optional<ScenarioResult> main(String scenario) {
    return results.stream().filter(r -> r.scenario().name().equals(scenario) && r.point().isEmpty()).findFirst();
  }

  // ---- json and csv

  private JsonObject json() {
    JsonArray scenarios = new JsonArray();
    for (ScenarioResult r : results) {
      JsonArray processes = new JsonArray();
      for (ProcessSample p : r.processes()) {
        processes.add(new JsonObject().put("process", p.label()).put("pid", p.pid()).put("role", p.role())
            .put("cpuSeconds", val(p.cpuSeconds())).put("cpuSecondsPerTx", val(r.cpuPerTx(p)))
            .put("peakRssBytes", p.peakRssBytes().isPresent() ? p.peakRssBytes().getAsLong() : null));
      }
      JsonArray nodes = new JsonArray();
      for (NodeSample n : r.nodes()) {
        nodes.add(new JsonObject().put("node", n.name()).put("role", n.role().label()).put("syncs", val(n.syncs()))
            .put("syncsPerTx", val(r.syncsPerTx(n))));
      }
      Scenario s = r.scenario();
      scenarios.add(new JsonObject().put("scenario", s.name()).put("point", r.point()).put("label", r.label())
          .put("kind", s.kind().name()).put("description", s.description()).put("clients", r.concurrency())
          .put("rate", r.rate()).put("seconds", r.load().seconds()).put("committed", r.load().committed())
          .put("aborted", r.load().aborted()).put("errors", r.load().failed())
          .put("committedPerSecond", r.load().committedPerSecond())
          .put("abortedPerSecond", r.load().abortedPerSecond())
          .put("latencyMs", new JsonObject().put("p50", r.load().millis(50)).put("p90", r.load().millis(90))
              .put("p99", r.load().millis(99)).put("p999", r.load().millis(99.9)).put("max", r.load().maxMillis()))
          .put("coordinatorSyncsPerTx", val(r.syncsPerTx(Role.COORDINATOR)))
          .put("participantSyncsPerTx", val(r.syncsPerTx(Role.PARTICIPANT)))
          .put("cpuSecondsPerTx", val(r.totalCpuPerTx())).put("callsPerTx", s.roundTrips())
          .put("firstError", r.load().firstFailure())
          .put("measures", measures(r))
          .put("processes", processes).put("nodes", nodes));
    }
    MachineInfo m = run.machine();
    return new JsonObject().put("startedAt", run.startedAt()).put("command", run.command())
        .put("servers", run.deployment()).put("load", run.load())
        .put("machine", new JsonObject().put("cores", m.cores()).put("cpu", m.cpu()).put("jdk", m.jdk())
            .put("os", m.os()).put("memory", m.memory()).put("loadAverageBefore", run.loadAverageBefore())
            .put("loadAverageAfter", run.loadAverageAfter()))
        .put("wallSeconds", run.wallSeconds()).put("failures", new JsonObject(new java.util.HashMap<>(run.failures())))
        .put("scenarios", scenarios);
  }

  private static JsonObject measures(ScenarioResult r) {
    JsonObject m = new JsonObject();
    r.probes().forEach(p -> m.put(p.name() + " per transaction", val(r.perTx(p))));
    r.facts().forEach(m::put);
    return m;
  }

  private String csv() {
    StringBuilder b = new StringBuilder("scenario,point,kind,clients,rate,committed_per_s,aborted_per_s,errors,"
        + "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,coordinator_syncs_per_tx,participant_syncs_per_tx,"
        + "cpu_ms_per_tx_total,cpu_ms_per_tx_client,cpu_ms_per_tx_coordinator,cpu_ms_per_tx_participants,"
        + "cpu_ms_per_tx_lock_service,calls_per_tx\n");
    for (ScenarioResult r : results) {
      b.append(String.join(",", r.scenario().name(), r.point(), r.scenario().kind().name(),
          Integer.toString(r.concurrency()), csvNum(r.rate()), csvNum(r.load().committedPerSecond()),
          csvNum(r.load().abortedPerSecond()), Long.toString(r.load().failed()), csvNum(r.load().millis(50)),
          csvNum(r.load().millis(90)), csvNum(r.load().millis(99)), csvNum(r.load().millis(99.9)),
          csvNum(r.load().maxMillis()), csvOpt(r.syncsPerTx(Role.COORDINATOR)),
          csvOpt(r.syncsPerTx(Role.PARTICIPANT)), csvOpt(scale(r.totalCpuPerTx(), 1000)),
          csvOpt(cpuOfRole(r, Role.CLIENT)), csvOpt(cpuOfRole(r, Role.COORDINATOR)),
          csvOpt(cpuOfRole(r, Role.PARTICIPANT)), csvOpt(cpuOfRole(r, Role.LOCK_SERVICE)),
          Integer.toString(r.scenario().roundTrips()))).append('\n');
    }
    return b.toString();
  }

  /** CPU ms per transaction of the processes whose every node has {@code role} (empty when shared or absent). */
  private static OptionalDouble cpuOfRole(ScenarioResult r, Role role) {
    List<ProcessSample> of = r.processes().stream().filter(p -> p.role().equals(role.label())).toList();
    if (of.isEmpty() || of.stream().anyMatch(p -> r.cpuPerTx(p).isEmpty())) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(1000 * of.stream().mapToDouble(p -> r.cpuPerTx(p).getAsDouble()).sum());
  }

  private static boolean hasRole(ScenarioResult r, Role role) {
    return r.nodes().stream().anyMatch(n -> n.role() == role);
  }

  private static String clients(ScenarioResult r) {
    return r.rate() > 0 ? String.format(Locale.ROOT, "%.0f/s (≤%d)", r.rate(), r.concurrency())
        : Integer.toString(r.concurrency());
  }

  private static OptionalDouble scale(OptionalDouble v, double factor) {
    return v.isPresent() ? OptionalDouble.of(v.getAsDouble() * factor) : v;
  }

  private static String num(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /** A value, "n/a" when it could not be measured, "–" when it does not apply. */
  private static String opt(OptionalDouble v, int decimals, boolean applies) {
    return !applies ? "–" : v.isPresent() ? num(v.getAsDouble(), decimals) : "n/a";
  }

  private static String mb(OptionalLong bytes) {
    return bytes.isPresent() ? num(bytes.getAsLong() / (1024.0 * 1024.0), 0) : "n/a";
  }

  private static Double val(OptionalDouble v) {
    return v.isPresent() ? v.getAsDouble() : null;
  }

  private static String csvNum(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String csvOpt(OptionalDouble v) {
    return v.isPresent() ? csvNum(v.getAsDouble()) : "";
  }
}
