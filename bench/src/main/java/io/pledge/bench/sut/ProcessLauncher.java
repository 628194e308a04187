package io.pledge.bench.sut;

import io.pledge.bench.participant.BenchParticipantMain;
import io.pledge.bench.participant.BenchParticipantSettings;
import io.pledge.bench.servers.BenchLockServiceMain;
import io.pledge.bench.servers.EchoServer;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorMain;
import io.pledge.testkit.JvmProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every server in its own JVM (testkit's {@link JvmProcess}, on this JVM's class path), each with its ready line.
 *
 * <p>JvmProcess gives its children {@code -XX:TieredStopAtLevel=1} (C1 only: quick starts for crash tests) and a
 * 512 MB heap; the bench's {@code --jvm-options} go in {@code _JAVA_OPTIONS}, which the JVM applies after the command
 * line, so they can override those (e.g. turn the optimising compiler on). Children log at WARN unless {@code PLEDGE_LOG_LEVEL} says otherwise:
 * JvmProcess keeps every line of output in memory.
 */
public final class ProcessLauncher implements Launcher {

  /** Hazelcast ports reserved for the bench (other modules' tests use other ranges). */
  static final int HAZELCAST_FIRST_PORT = 6150;
  static final int HAZELCAST_LAST_PORT = 6199;
  /**
   * Fixed ports of coordinator cluster members (gRPC, ops, Raft), below the kernel's ephemeral range (32768 and up
   * on Linux), so that no outgoing connection on the machine takes one between its pick and its bind, or while a
   * killed member is down.
   */
  static final int CLUSTER_FIRST_PORT = 6400;
  static final int CLUSTER_LAST_PORT = 6599;
  /** Cluster start attempts: a port of the range may still be taken by another process between pick and bind. */
  private static final int CLUSTER_ATTEMPTS = 3;

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Pattern COORDINATOR_READY =
      Pattern.compile(CoordinatorMain.READY_BANNER + " .*grpc=(\\d+) http=(\\d+)");
  private static final Pattern PARTICIPANT_READY =
      Pattern.compile(BenchParticipantMain.READY_BANNER + " name=(\\S+) work=(\\d+) ops=(\\d+)");
  private static final Pattern LOCKS_READY = Pattern.compile(BenchLockServiceMain.READY_BANNER + " grpc=(\\d+) ops=(\\d+)");
  private static final Pattern ECHO_READY = Pattern.compile(EchoServer.READY_BANNER + " grpc=(\\d+)");

  private final Path dir;
  private final Map<String, String> env = new HashMap<>();
  private final ExecutorService starter = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "bench-launcher");
    t.setDaemon(true);
    return t;
  });
  private final List<JvmProcess> processes = new ArrayList<>();
  private final AtomicInteger coordinators = new AtomicInteger();
  /** Cluster ports this launcher has handed out: each goes to one member only. */
  private final java.util.Set<Integer> clusterPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** @param dir where the servers' data directories go */
  public ProcessLauncher(Path dir, String jvmOptions) {
    this.dir = dir;
    env.put("_JAVA_OPTIONS", jvmOptions);
    String level = System.getenv("PLEDGE_LOG_LEVEL");
    env.put("PLEDGE_LOG_LEVEL", level == null ? "WARN" : level);
  }

  @Override
  public CompletableFuture<Started> lockService(Map<String, String> settings) {
    return CompletableFuture.supplyAsync(() -> {
      int hazelcastPort = freePortIn(HAZELCAST_FIRST_PORT, HAZELCAST_LAST_PORT);
      List<String> args = new ArrayList<>(List.of(Integer.toString(hazelcastPort)));
      settings.forEach((k, v) -> args.add(k + "=" + v));
      JvmProcess p = start("lock-service", BenchLockServiceMain.class.getName(), args);
      Matcher m = ready(p, LOCKS_READY);
      return started(p, "lock-service", Role.LOCK_SERVICE, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
          settings);
    }, starter);
  }

  @Override
  public CompletableFuture<Started> coordinator(Optional<Endpoint> locks, Map<String, String> settings) {
    return CompletableFuture.supplyAsync(() -> {
      String name = "coordinator-" + coordinators.incrementAndGet();
      List<String> args = new ArrayList<>(List.of("--node.id=bench", "--grpc.port=0", "--http.port=0",
          "--data.dir=" + dir.resolve(name).toAbsolutePath()));
      locks.ifPresent(l -> args.add("--locks.endpoint=" + l));
      settings.forEach((k, v) -> args.add("--" + k + "=" + v));
      JvmProcess p = start(name, CoordinatorMain.class.getName(), args);
      Matcher m = ready(p, COORDINATOR_READY);
      return started(p, "coordinator", Role.COORDINATOR, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
          settings);
    }, starter);
  }

  /**
   * Members on fixed ports (a restarted member must be found where the clients and its peers knew it), peers
   * {@code n0..n<members-1>}; complete once every member serves and one of them leads.
   */
  @Override
  public CompletableFuture<CoordinatorCluster> coordinatorCluster(int members, Map<String, String> settings) {
    return CompletableFuture.supplyAsync(() -> {
      String name = "coordinator-cluster-" + coordinators.incrementAndGet();
      for (int attempt = 1; ; attempt++) {
        CoordinatorCluster cluster = new CoordinatorCluster(this, clusterMembers(name, attempt, members, settings),
            settings);
        try {
          cluster.startAll();
          cluster.awaitLeader(START_TIMEOUT);
          return cluster;
        } catch (RuntimeException e) {
          cluster.close();
          if (attempt == CLUSTER_ATTEMPTS || !String.valueOf(e.getMessage()).contains("Address already in use")) {
            throw e;
          }
        }
      }
    }, starter);
  }

  private List<CoordinatorCluster.Member> clusterMembers(String name, int attempt, int members,
      Map<String, String> settings) {
    StringBuilder peers = new StringBuilder();
    for (int i = 0; i < members; i++) {
      peers.append(i == 0 ? "" : ",").append("n").append(i).append("@127.0.0.1:").append(clusterPort());
    }
    List<CoordinatorCluster.Member> list = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      int grpc = clusterPort();
      int http = clusterPort();
      List<String> args = new ArrayList<>(List.of("--node.id=bench", "--grpc.port=" + grpc,
          "--http.port=" + http, "--data.dir=" + dir.resolve(name + "-" + attempt).resolve("n" + i).toAbsolutePath(),
          "--cluster.peers=" + peers, "--cluster.node-id=n" + i));
      settings.forEach((k, v) -> args.add("--" + k + "=" + v));
      list.add(new CoordinatorCluster.Member("coordinator-n" + i, grpc, http, args));
    }
    return list;
  }

  /** Starts a cluster member's JVM and waits for its ready line. */
  JvmProcess startCoordinator(String name, List<String> args) {
    JvmProcess p = start(name, CoordinatorMain.class.getName(), args);
    ready(p, COORDINATOR_READY);
    return p;
  }

  /** A port of the cluster range that is free now and that this launcher has not handed out before. */
  private int clusterPort() {
    int span = CLUSTER_LAST_PORT - CLUSTER_FIRST_PORT + 1;
    int offset = (int) (ProcessHandle.current().pid() % span);
    for (int i = 0; i < span; i++) {
      int port = CLUSTER_FIRST_PORT + (offset + i) % span;
      if (!clusterPorts.contains(port) && bindable(port)) {
        clusterPorts.add(port);
        return port;
      }
    }
    throw new IllegalStateException("no free port left in " + CLUSTER_FIRST_PORT + ".." + CLUSTER_LAST_PORT);
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException busy) {
      return false;
    }
  }

  @Override
  public CompletableFuture<Started> participant(BenchParticipantSettings settings) {
    return CompletableFuture.supplyAsync(() -> {
      JvmProcess p = start(settings.name(), BenchParticipantMain.class.getName(), settings.toArgs());
      Matcher m = ready(p, PARTICIPANT_READY);
      // The participant's ops server is the bench's own, plain HTTP on loopback even under TLS.
      Started s = started(p, settings.name(), Role.PARTICIPANT, Integer.parseInt(m.group(2)),
          Integer.parseInt(m.group(3)), Map.of());
      return new Started(s.endpoint(), s.node(), s.stop(), Integer.parseInt(m.group(3)));
    }, starter);
  }

  @Override
  public CompletableFuture<Started> echoServer() {
    return CompletableFuture.supplyAsync(() -> {
      JvmProcess p = start("echo-server", EchoServer.class.getName(), List.of());
      Matcher m = ready(p, ECHO_READY);
      return new Started(new Endpoint("127.0.0.1", Integer.parseInt(m.group(1))),
          new Node("echo-server", Role.ECHO_SERVER, OptionalLong.of(p.pid()), Optional.empty()), p::stop);
    }, starter);
  }

  private JvmProcess start(String name, String mainClass, List<String> args) {
    // In this JVM's working directory: its class path may be relative (java -jar bench/target/pledge-bench.jar).
    JvmProcess p = JvmProcess.start(name, mainClass, args, env, Path.of("").toAbsolutePath());
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  private static Matcher ready(JvmProcess p, Pattern banner) {
    Matcher m = banner.matcher(p.awaitLine(line -> banner.matcher(line).find(), START_TIMEOUT));
    if (!m.find()) {
      throw new IllegalStateException("unreadable ready line");
    }
    return m;
  }

  /** @param settings the server's settings: with {@code tls.ca}, its ops endpoint is HTTPS under that CA */
  private static Started started(JvmProcess p, String name, Role role, int grpcPort, int opsPort,
      Map<String, String> settings) {
    Node node = new Node(name, role, OptionalLong.of(p.pid()), Optional.of(opsMetrics(opsPort, settings,
        List.of(PromMetrics.SYNCS))));
    // SIGTERM: the servers close their logs cleanly, which keeps the shutdown quiet.
    return new Started(new Endpoint("127.0.0.1", grpcPort), node, p::stop);
  }

  /** Scrapes {@code metrics} from the ops endpoint on {@code opsPort}: HTTPS when the server runs TLS. */
  static Node.SyncCounter opsMetrics(int opsPort, Map<String, String> settings, List<String> metrics) {
    Optional<Path> ca = Optional.ofNullable(settings.get("tls.ca")).filter(s -> !s.isBlank()).map(Path::of);
    return PromMetrics.scraping(PromMetrics.client(ca), URI.create((ca.isPresent() ? "https" : "http")
        + "://127.0.0.1:" + opsPort + "/metrics"), metrics);
  }

  /** A port of the range free now (Hazelcast needs a fixed port; the rest of the bench uses port 0). */
  static int freePortIn(int first, int last) {
    int span = last - first + 1;
    int offset = (int) (ProcessHandle.current().pid() % span);
    for (int i = 0; i < span; i++) {
      int port = first + (offset + i) % span;
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException busy) {
        // taken: try the next one
      }
    }
    throw new IllegalStateException("no free port in " + first + ".." + last);
  }

  @Override
  public String description() {
    return "separate JVMs on loopback (" + env.get("_JAVA_OPTIONS") + ")";
  }

  @Override
  public void close() {
    synchronized (processes) {
      processes.forEach(JvmProcess::close);
      processes.clear();
    }
    starter.shutdownNow();
  }
}
