package io.pledge.lock.perf;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockHandle;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.testkit.JvmProcess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Not a test (no assertions, nothing asserts on speed): a throughput and latency probe of the lock service. Starts
 * {@code --members} lock servers in this JVM and drives {@code --inflight} concurrent acquire+release loops through
 * {@link LockClient} for {@code --seconds} (after {@code --warmup}), then prints one {@code RESULT} line with pairs/s
 * and HdrHistogram percentiles of the acquire call and of the whole pair.
 *
 * <pre>
 * java $HAZELCAST_OPENS -cp ... io.pledge.lock.perf.LockThroughputProbe --inflight=64 --seconds=10 [--contended]
 *     [--client=child] [--client-jfr=/tmp/client.jfr] [--members=1] [--connections=2] [--event-loops=0]
 * </pre>
 *
 * {@code --contended}: every loop takes the same lock (FIFO hand-over); otherwise each loop has its own lock.
 * {@code --client=child}: the loops run in a separate JVM (testkit {@link JvmProcess}) instead of this one.
 */
public final class LockThroughputProbe {

  private static final int FIRST_HAZELCAST_PORT = 5981;
  private static final Duration LEASE = Duration.ofSeconds(10);

  private LockThroughputProbe() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parse(argv);
    int inflight = Integer.parseInt(args.getOrDefault("inflight", "64"));
    int seconds = Integer.parseInt(args.getOrDefault("seconds", "10"));
    int warmup = Integer.parseInt(args.getOrDefault("warmup", "5"));
    boolean contended = args.containsKey("contended");
    int connections = Integer.parseInt(args.getOrDefault("connections", "0"));
    if (args.containsKey("drive")) {
      System.out.println(drive(Endpoint.parse(args.get("drive")), inflight, seconds, warmup, contended, connections));
      System.out.flush();
      System.exit(0);
      return;
    }
    int members = Integer.parseInt(args.getOrDefault("members", "1"));
    List<LockServer> servers = startCluster(members, args.get("event-loops"));
    try {
      Endpoint endpoint = new Endpoint("127.0.0.1", servers.get(0).grpcPort());
      String result;
      if ("child".equals(args.get("client"))) {
        result = driveInChild(endpoint, argv, args.get("client-jfr"), seconds, warmup);
      } else {
        result = drive(endpoint, inflight, seconds, warmup, contended, connections);
      }
      System.out.println(result + " members=" + members + " client=" + args.getOrDefault("client", "same-jvm"));
    } finally {
      servers.forEach(LockServer::close);
    }
    System.exit(0);
  }

  private static List<LockServer> startCluster(int n, String eventLoops) throws Exception {
    List<Integer> ports = IntStream.range(FIRST_HAZELCAST_PORT, FIRST_HAZELCAST_PORT + n).boxed().toList();
    String memberList = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    List<LockServer> out = new ArrayList<>();
    for (int port : ports) {
      Map<String, String> settings = new HashMap<>(LockServiceOptions.loopbackMember(port, "pledge-probe"));
      settings.put(LockServiceOptions.MEMBERS.name(), memberList);
      if (eventLoops != null) {
        settings.put(LockServiceOptions.GRPC_EVENT_LOOPS.name(), eventLoops);
      }
      out.add(LockServer.start(Config.of(LockServiceOptions.ALL, settings)));
    }
    return out;
  }

  /**
   * The client loops in a child JVM. JvmProcess gives children a C1-only, serial-GC JVM (quick to start, right for
   * crash tests); a load generator needs the full JIT, so a shell prefix drops those two flags before exec'ing java.
   */
  private static String driveInChild(Endpoint endpoint, String[] argv, String jfr, int seconds, int warmup) {
    List<String> childArgs = new ArrayList<>(List.of(argv));
    childArgs.add("--drive=" + endpoint.host() + ":" + endpoint.port());
    List<String> prefix = List.of("sh", "-c", "j=$1; shift; for a; do shift; case $a in"
        + " -XX:TieredStopAtLevel=1|-XX:+UseSerialGC) ;; *) set -- \"$@\" \"$a\";; esac; done; exec \"$j\" \"$@\"",
        "sh");
    Map<String, String> env = jfr == null ? Map.of()
        : Map.of("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
    try (JvmProcess child = JvmProcess.start("probe-client", prefix, LockThroughputProbe.class.getName(), childArgs,
        env, Path.of("."))) {
      child.awaitLine(l -> l.equals("MEASURING"), Duration.ofSeconds(warmup + 120L));
      long serverCpu = cpuNanos();
      child.awaitLine(l -> l.equals("MEASURED"), Duration.ofSeconds(seconds + 120L));
      serverCpu = cpuNanos() - serverCpu;
      String result = child.awaitLine(l -> l.startsWith("RESULT"), Duration.ofSeconds(120));
      double pairs = Double.parseDouble(result.replaceAll(".*pairs/s=([0-9.]+).*", "$1"));
      return result.replace("cpu_us/pair=", "client_cpu_us/pair=") + String.format(" server_cpu_us/pair=%.1f",
          serverCpu / 1e3 / Math.max(1, pairs * seconds));
    }
  }

  static String drive(Endpoint endpoint, int inflight, int seconds, int warmup, boolean contended, int connections)
      throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    LockClient client = connections > 0
        ? LockClient.create(vertx, endpoint, new io.vertx.core.http.HttpClientOptions(), connections)
        : LockClient.create(vertx, endpoint);
    Recorder acquire = new Recorder(3);
    Recorder pair = new Recorder(3);
    AtomicLong pairs = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    Loops loops = new Loops(client, contended, acquire, pair, pairs, errors);
    for (int i = 0; i < inflight; i++) {
      loops.next(i, 0);
    }
    Thread.sleep(warmup * 1000L);
    acquire.reset();
    pair.reset();
    long startPairs = pairs.get();
    long startErrors = errors.get();
    long start = System.nanoTime();
    long startCpu = cpuNanos();
    System.out.println("MEASURING");
    System.out.flush();
    Thread.sleep(seconds * 1000L);
    long done = pairs.get() - startPairs;
    long cpu = cpuNanos() - startCpu;
    long elapsed = System.nanoTime() - start;
    System.out.println("MEASURED");
    System.out.flush();
    Histogram a = acquire.getIntervalHistogram();
    Histogram p = pair.getIntervalHistogram();
    long failed = errors.get() - startErrors;
    loops.stop();
    loops.drained.await(30, TimeUnit.SECONDS);
    client.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    return String.format("RESULT %s inflight=%d pairs/s=%.0f acquire_p50_ms=%.3f acquire_p99_ms=%.3f"
            + " pair_p50_ms=%.3f pair_p99_ms=%.3f pair_max_ms=%.1f cpu_us/pair=%.1f errors=%d (%s) connections=%s",
        contended ? "contended" : "uncontended", inflight, done * 1e9 / elapsed, ms(a, 50), ms(a, 99), ms(p, 50),
        ms(p, 99), p.getMaxValue() / 1e6, cpu / 1e3 / Math.max(1, done), failed, loops.lastError,
        connections > 0 ? String.valueOf(connections) : "default");
  }

  /**
   * CPU time of this whole JVM. On a shared, busy machine throughput swings with the neighbours' load; CPU per pair
   * (this JVM's, or server plus client JVM) is the steadier measure of what a change saves.
   */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1e6;
  }

  /** The acquire+release loops; each starts its next pair when the last one is released. */
  private static final class Loops {
    private final LockClient client;
    private final boolean contended;
    private final Recorder acquire;
    private final Recorder pair;
    private final AtomicLong pairs;
    private final AtomicLong errors;
    private volatile boolean running = true;
    private final AtomicLong active = new AtomicLong();
    final CountDownLatch drained = new CountDownLatch(1);
    volatile String lastError = "";

    Loops(LockClient client, boolean contended, Recorder acquire, Recorder pair, AtomicLong pairs,
        AtomicLong errors) {
      this.client = client;
      this.contended = contended;
      this.acquire = acquire;
      this.pair = pair;
      this.pairs = pairs;
      this.errors = errors;
    }

    void next(int loop, long seq) {
      if (!running) {
        if (active.decrementAndGet() == 0) {
          drained.countDown();
        }
        return;
      }
      if (seq == 0) {
        active.incrementAndGet();
      }
      String lock = contended ? "probe-hot" : "probe-" + loop;
      String owner = "probe-" + loop + "-" + seq;
      long t0 = System.nanoTime();
      Future<LockHandle> granted = client.acquire(LockClient.Request.exclusive(lock, owner, LEASE)
          .waitingUpTo(Duration.ofSeconds(30)));
      granted.compose(h -> {
        acquire.recordValue(System.nanoTime() - t0);
        return h.release();
      }).onComplete(ar -> {
        if (ar.succeeded()) {
          pair.recordValue(System.nanoTime() - t0);
          pairs.incrementAndGet();
        } else {
          errors.incrementAndGet();
          lastError = String.valueOf(ar.cause());
        }
        next(loop, seq + 1);
      });
    }

    void stop() {
      running = false;
    }
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> out = new HashMap<>();
    for (String a : argv) {
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("expected --key[=value], got " + a);
      }
      int eq = a.indexOf('=');
      out.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "" : a.substring(eq + 1));
    }
    return out;
  }
}
