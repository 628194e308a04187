package io.pledge.bench;

import io.pledge.bench.load.LoadSettings;
import io.pledge.bench.report.MachineInfo;
import io.pledge.bench.report.ReportWriter;
import io.pledge.bench.report.RunInfo;
import io.pledge.bench.scenario.Deployer;
import io.pledge.bench.scenario.ExternalDeployer;
import io.pledge.bench.scenario.LaunchingDeployer;
import io.pledge.bench.scenario.Scenario;
import io.pledge.bench.scenario.ScenarioResult;
import io.pledge.bench.scenario.ScenarioRunner;
import io.pledge.bench.scenario.Scenarios;
import io.pledge.bench.sut.InProcessLauncher;
import io.pledge.bench.sut.ProcessLauncher;
import io.pledge.common.grpc.Endpoint;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar bench/target/pledge-bench.jar [options]}: the standard benchmark (every scenario and baseline,
 * 64 clients, 5 s warm-up, 15 s measured), or the scenarios and load given. Exit code 0 when every scenario ran
 * and committed something, 1 otherwise, 2 on a bad option.
 */
@Command(name = "pledge-bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Benchmarks Pledge on loopback: starts the coordinator, bench participants and the lock service,"
        + " drives load, and writes report.md, results.json, results.csv and a latency/throughput plot.")
public final class BenchMain implements Callable<Integer> {

  @Option(names = "--scenarios", split = ",", paramLabel = "NAME",
      description = "scenarios to run (default: all): ${COMPLETION-CANDIDATES}",
      completionCandidates = ScenarioNames.class)
  List<String> scenarios = new ArrayList<>();

  @Option(names = "--clients", defaultValue = "64",
      description = "concurrent clients (closed loop), or most in flight (open loop) (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(names = "--rate", defaultValue = "0",
      description = "open loop: transactions started per second, latency from the intended start (default: closed loop)")
  double rate;

  @Option(names = "--warmup", defaultValue = "10s", converter = DurationConverter.class,
      description = "unmeasured load before each window (default: ${DEFAULT-VALUE})")
  Duration warmup;

  @Option(names = "--duration", defaultValue = "15s", converter = DurationConverter.class,
      description = "measured window of each scenario (default: ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--progress", defaultValue = "2s", converter = DurationConverter.class,
      description = "interval of the progress line (default: ${DEFAULT-VALUE})")
  Duration progress;

  @Option(names = "--connections", defaultValue = "4",
      description = "HTTP/2 connections from the client to each server (default: ${DEFAULT-VALUE})")
  int connections;

  @Option(names = "--curve", split = ",",
      description = "concurrencies of the 2p throughput/latency curve (default: 1,4,16,64; --quick: 1,16,clients)")
  List<Integer> curve;

  @Option(names = "--curve-rates", split = ",",
      description = "open loop: rates of the 2p curve (with --rate)")
  List<Double> curveRates = new ArrayList<>();

  @Option(names = "--quick", description = "seconds-long run: 1 s warm-up, 3 s windows, curve 1,16 and --clients")
  boolean quick;

  @Option(names = "--in-process", description = "run every server in this JVM instead of separate JVMs")
  boolean inProcess;

  @Option(names = "--long-path", description = "Pledge transactions call Begin and their participants call Enlist,"
      + " as before the short path (reserved ids, enlistment reported in the work calls' answers)")
  boolean longPath;

  @Option(names = "--coordinator", paramLabel = "HOST:PORT", description = "use a running coordinator")
  String coordinator;

  @Option(names = "--participants", split = ",", paramLabel = "HOST:PORT",
      description = "running bench participants (BenchParticipantMain's work ports), with --coordinator")
  List<String> participants = new ArrayList<>();

  @Option(names = "--locks", paramLabel = "HOST:PORT", description = "a running lock service, with --coordinator")
  String locks;

  @Option(names = "--coordinator-metrics", paramLabel = "HOST:PORT",
      description = "the running coordinator's ops endpoint (/metrics), for its syncs")
  String coordinatorMetrics;

  @Option(names = "--coordinator-pid", description = "the running coordinator's local pid, for its CPU and memory")
  Long coordinatorPid;

  // C1 only by default: on two cores shared by four JVMs the optimising compiler's own CPU outweighs its gain over
  // a run of minutes (2p, 64 clients, 20 s warm-up, quiet machine: 1,829 tx/s with C1, 1,499 with C2).
  @Option(names = "--jvm-options", defaultValue = "-XX:TieredStopAtLevel=1",
      description = "JVM options of the servers' JVMs, applied after testkit's; -XX:TieredStopAtLevel=4 turns the"
          + " optimising compiler on (default: ${DEFAULT-VALUE})")
  String jvmOptions;

  @Option(names = "--out", paramLabel = "DIR",
      description = "results directory (default: bench/results/<yyyyMMdd-HHmmss>, or results/... outside the repo)")
  Path out;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "servers' data (default: a temporary directory,"
      + " deleted at the end)")
  Path dataDir;

  /** The names picocli lists in --help. */
  static final class ScenarioNames extends ArrayList<String> {
    ScenarioNames() {
      super(Scenarios.ALL.stream().map(Scenario::name).toList());
    }
  }

  /** Durations as {@code 500ms}, {@code 15s}, {@code 2m}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(value.trim());
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration like 500ms, 15s or 2m");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        default -> Duration.ofMinutes(n);
      };
    }
  }

  private String[] args = new String[0];
  private final PrintStream console = System.out;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs with {@code args}; returns the exit code. */
  public static int run(String... args) {
    BenchMain main = new BenchMain();
    main.args = args.clone();
    return new CommandLine(main).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    validate();
    if (quick) {
      warmup = Duration.ofSeconds(1);
      duration = Duration.ofSeconds(3);
      progress = Duration.ofSeconds(1);
      if (curve == null) {
        curve = Stream.of(1, 16, clients).distinct().toList();
      }
    }
    if (curve == null) {
      curve = List.of(1, 4, 16, 64);
    }
    List<Scenario> selected = scenarios.isEmpty() ? standard() : Scenarios.select(scenarios);
    LocalDateTime started = LocalDateTime.now();
    Path results = out != null ? out : defaultResultsDir(started);
    boolean tempData = dataDir == null;
    Path data = tempData ? Files.createTempDirectory("pledge-bench-") : Files.createDirectories(dataDir);
    LoadSettings load = new LoadSettings(clients, rate, warmup, duration, progress);
    String loadText = (rate > 0 ? String.format(Locale.ROOT, "open loop at %.0f tx/s, at most %d in flight",
        rate, clients) : clients + " clients, closed loop") + ", warm-up " + warmup.toMillis() / 1000.0
        + " s, measured " + duration.toMillis() / 1000.0 + " s, " + connections + " connections per server";
    String loadBefore = MachineInfo.loadAverage();
    long began = System.nanoTime();
    console.printf("Pledge benchmark: %s; scenarios %s%nresults in %s, server data in %s%n", loadText,
        selected.stream().map(Scenario::name).toList(), results.toAbsolutePath(), data);

    Vertx vertx = Vertx.vertx();
    List<ScenarioResult> all = new ArrayList<>();
    Map<String, String> failures = new LinkedHashMap<>();
    String deployment;
    try (Deployer deployer = deployer(vertx, data)) {
      deployment = deployer.description();
      ScenarioRunner runner = new ScenarioRunner(vertx, deployer, new ScenarioRunner.Plan(load, connections, curve,
          curveRates, Duration.ofMillis(Math.min(warmup.toMillis(), 2000)), longPath), data, console::println);
      for (Scenario s : selected) {
        try {
          all.addAll(runner.run(s));
        } catch (Exception e) {
          Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
              ? e.getCause() : e;
          failures.put(s.name(), String.valueOf(cause.getMessage()));
          console.println("  " + s.name() + " FAILED: " + cause);
        }
      }
    } finally {
      vertx.close().await(20, TimeUnit.SECONDS);
      if (tempData) {
        deleteQuietly(data);
      }
    }
    RunInfo info = new RunInfo(started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
        .format(DateTimeFormatter.ISO_LOCAL_DATE_TIME), String.join(" ", Stream.concat(Stream.of("pledge-bench"),
        Stream.of(args)).toList()), deployment, loadText, MachineInfo.current(), loadBefore, MachineInfo.loadAverage(),
        (System.nanoTime() - began) / 1e9, failures);
    String table = new ReportWriter(results, info, all).write();
    console.println();
    console.print(table);
    console.println();
    console.println("report: " + results.resolve("report.md").toAbsolutePath());
    boolean ok = failures.isEmpty() && all.stream().allMatch(r -> r.load().committed() > 0);
    return ok ? 0 : 1;
  }

  /**
   * Every scenario, less those this deployment cannot set up: the TLS and cluster variants start their own server
   * JVMs (not with --in-process), and no variant runs against servers given with --coordinator.
   */
  private List<Scenario> standard() {
    List<Scenario> runnable = Scenarios.ALL.stream().filter(s -> coordinator != null
        ? s.setup().equals(Scenario.Setup.STANDARD)
        : !inProcess || (!s.setup().tls() && s.setup().coordinators() == 1)).toList();
    if (runnable.size() < Scenarios.ALL.size()) {
      console.println("not run here (they set their servers up themselves): " + Scenarios.ALL.stream()
          .filter(s -> !runnable.contains(s)).map(Scenario::name).toList());
    }
    return runnable;
  }

  private void validate() {
    CommandLine.Model.CommandSpec spec = new CommandLine(this).getCommandSpec();
    if (clients < 1 || connections < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--clients and --connections must be at least 1");
    }
    if (coordinator == null && (!participants.isEmpty() || locks != null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--participants and --locks name running servers: give --coordinator too");
    }
    if (coordinator != null && inProcess) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--in-process starts servers; --coordinator"
          + " uses running ones: choose one");
    }
    if (curve != null && curve.stream().anyMatch(c -> c < 1)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--curve concurrencies must be at least 1");
    }
  }

  private Deployer deployer(Vertx vertx, Path data) {
    if (coordinator != null) {
      return new ExternalDeployer(vertx, Endpoint.parse(coordinator), participants.stream().map(Endpoint::parse)
          .toList(), Optional.ofNullable(locks).map(Endpoint::parse),
          Optional.ofNullable(coordinatorMetrics).map(Endpoint::parse),
          coordinatorPid == null ? OptionalLong.empty() : OptionalLong.of(coordinatorPid),
          new ProcessLauncher(data, jvmOptions));
    }
    return new LaunchingDeployer(inProcess ? new InProcessLauncher(vertx, data) : new ProcessLauncher(data,
        jvmOptions), data);
  }

  private static Path defaultResultsDir(LocalDateTime started) {
    String stamp = started.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path base = Files.isDirectory(Path.of("bench", "src")) ? Path.of("bench", "results") : Path.of("results");
    return base.resolve(stamp);
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Temporary data: the OS cleans it up eventually.
    }
  }
}
