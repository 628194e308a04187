package io.pledge.examples.bank;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.ThrowawayPki;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.participant.client.TransactionClient;
import io.vertx.core.Future;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The demo a new user runs first: {@code java -jar examples/bank-transfer/target/pledge-demo.jar}.
 *
 * <p>Starts on loopback the coordinator and a lock service member (in this JVM), and two {@link BankService}s in
 * their own JVMs with their own H2 databases. Runs random transfers between the banks for a while, printing
 * progress; on the way some transfers ask for more than the account holds (the bank refuses, the transfer rolls
 * back) and bank-b is killed with {@code kill -9} and restarted (it asks the coordinator about the branches it had
 * prepared). Ends with the invariant check ({@link InvariantCheck}); exits 1 if it fails, 2 on a bad flag.
 *
 * <p>{@code --coordinators=3}: the coordinator is a Raft cluster of JVMs ({@link CoordinatorCluster}) instead, whose
 * leader is killed and later frozen ({@link ClusterFaults}) instead of bank-b's kill; the check then also wants no
 * transfer with an unknown outcome and nothing unfinished in any member's own log, and the failover times are
 * printed.
 */
public final class DemoMain {

  private static final String BANK_A = "bank-a";
  private static final String BANK_B = "bank-b";
  private static final String RECOVERY_LINE = "in-doubt branch: asking the coordinator";

  private DemoMain() {}

  public static void main(String[] args) throws Exception {
    DemoOptions options = Cli.optionsOrExit("pledge-demo", "Two banks, one coordinator, one lock service: random"
        + " transfers with failures injected, then a check that no money was created or lost.", DemoOptions.KEYS,
        args, DemoOptions::from);
    Path dir = options.dir().isPresent() ? Files.createDirectories(options.dir().get())
        : Files.createTempDirectory("pledge-demo-");
    // Before the first logger exists: this JVM's servers log to a file, the console is the demo's.
    System.setProperty("logback.configurationFile", "logback-demo.xml");
    System.setProperty("pledge.demo.log", dir.resolve("servers.log").toString());
    System.exit(run(options, dir));
  }

  static int run(DemoOptions options, Path dir) throws Exception {
    long began = System.nanoTime();
    System.out.printf("Pledge demo: %d transfers in flight for %s between %s and %s%s; data and logs in %s%n",
        options.concurrency(), format(options.duration()), BANK_A,
        BANK_B, options.coordinators() > 1 ? ", " + options.coordinators() + " coordinators" : "", dir);
    // Mutual TLS unless --plaintext: a throwaway CA and one certificate per process, made now (DemoTls).
    Optional<ThrowawayPki> tls = options.plaintext() ? Optional.empty() : Optional.of(DemoTls.create(dir.resolve("tls")));
    System.out.println(tls.map(t -> "mutual TLS on every port, certificates from a throwaway CA in " + t.dir()
        + " (--plaintext turns it off)").orElse("plaintext: no TLS on any port (--plaintext)"));
    Vertx vertx = Vertx.vertx();
    LockServer lockServer = null;
    CoordinatorServer coordinator = null;
    CoordinatorCluster cluster = null;
    BankProcess bankA = null;
    BankProcess bankB = null;
    EmbeddedPostgres postgres = null;
    try {
      // Hazelcast member on a free port, in a cluster of its own: never joins someone else's on this machine.
      Map<String, String> lockSettings = new HashMap<>(LockServiceOptions.loopbackMember(BankProcess.freePort(),
          "pledge-demo-" + UUID.randomUUID()));
      tls.ifPresent(t -> lockSettings.putAll(t.settings("lock-service", "lock-service")));
      lockServer = LockServer.start(Config.of(LockServiceOptions.ALL, lockSettings));
      Endpoint locks = new Endpoint("127.0.0.1", lockServer.grpcPort());
      Optional<TlsOptions> driver = tls.map(t -> t.client("driver", "driver"));
      List<Endpoint> coords;
      if (options.coordinators() == 1) {
        Map<String, String> coordSettings = new HashMap<>(Map.of("grpc.port", "0", "http.port", "0", "data.dir",
            dir.resolve("coordinator").toString(), "locks.endpoint", locks.toString(), "tx.prepare-timeout", "5s",
            "participant.retry-cap", "1s"));
        tls.ifPresent(t -> coordSettings.putAll(t.settings("coordinator", "coordinator")));
        coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, coordSettings))
            .await(2, TimeUnit.MINUTES);
        Endpoint coord = new Endpoint("127.0.0.1", coordinator.grpcPort());
        coords = List.of(coord);
        System.out.printf("lock service on %s, coordinator on %s (metrics: %s://127.0.0.1:%d/metrics)%n", locks,
            coord, tls.isPresent() ? "https" : "http", coordinator.httpPort());
      } else {
        long clusterStart = System.nanoTime();
        cluster = CoordinatorCluster.start(vertx, dir, options.coordinators(), List.of("--locks.endpoint=" + locks,
            "--tx.prepare-timeout=5s", "--participant.retry-cap=1s"),
            id -> tls.map(t -> t.flags("coordinator-" + id, "coordinator")).orElse(List.of()), driver);
        coords = cluster.endpoints();
        System.out.printf("lock service on %s; coordinator cluster of %d JVMs (Raft, election timeout %d ms) on %s,"
            + " leader %s, started in %.1f s (logs: %s)%n", locks, options.coordinators(),
            CoordinatorCluster.ELECTION_TIMEOUT.toMillis(), cluster.nodes().stream()
                .map(n -> n.id() + "=" + n.endpoint()).collect(Collectors.joining(", ")),
            cluster.leader().map(CoordinatorNode::id).orElse("?"), (System.nanoTime() - clusterStart) / 1e9,
            dir.resolve("coordinator-*.log"));
      }
      String urlA = null;
      String urlB = null;
      if (options.db().equals("postgres")) {
        // One server for the whole demo, outliving the banks it kills; a database per bank.
        postgres = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("postgres")).setCleanDataDirectory(false)
            .setServerConfig("max_prepared_transactions", "64").start();
        for (String db : List.of("bank_a", "bank_b")) {
          try (var c = postgres.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + db);
          } catch (java.sql.SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // already there from an earlier run in this directory
              throw e;
            }
          }
        }
        urlA = postgres.getJdbcUrl("postgres", "bank_a");
        urlB = postgres.getJdbcUrl("postgres", "bank_b");
        System.out.printf("PostgreSQL on port %d (databases bank_a and bank_b)%n", postgres.getPort());
      } else if (options.db().startsWith("jdbc:postgresql:")) {
        urlA = options.db().replaceFirst("/[^/?]*(\\?|$)", "/bank_a$1");
        urlB = options.db().replaceFirst("/[^/?]*(\\?|$)", "/bank_b$1");
      }
      bankA = new BankProcess(BANK_A, dir, coords, locks, options.accounts(), options.initialBalance(),
          bankFlags(urlA, tls.map(t -> t.flags(BANK_A, "bank/" + BANK_A)).orElse(List.of())));
      bankB = new BankProcess(BANK_B, dir, coords, locks, options.accounts(), options.initialBalance(),
          bankFlags(urlB, tls.map(t -> t.flags(BANK_B, "bank/" + BANK_B)).orElse(List.of())));
      bankA.start(Duration.ofMinutes(2));
      bankB.start(Duration.ofMinutes(2));
      System.out.printf("%s on http://127.0.0.1:%d, %s on http://127.0.0.1:%d (separate JVMs)%n", BANK_A,
          bankA.httpPort(), BANK_B, bankB.httpPort());
      return drive(vertx, options, coords, cluster, bankA, bankB, began, driver);
    } finally {
      for (BankProcess bank : new BankProcess[] {bankA, bankB}) {
        if (bank != null) {
          bank.close();
        }
      }
      if (coordinator != null) {
        coordinator.close().await(20, TimeUnit.SECONDS);
      }
      if (cluster != null) {
        cluster.close();
      }
      if (lockServer != null) {
        lockServer.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static int drive(Vertx vertx, DemoOptions options, List<Endpoint> coords, CoordinatorCluster cluster,
      BankProcess bankA, BankProcess bankB, long began, Optional<TlsOptions> tls) throws Exception {
    try (InvariantCheck check = new InvariantCheck(vertx, coords, List.of(bankA, bankB), tls);
        TransactionClient client = coords.size() == 1
            ? TransactionClient.create(vertx, coords.get(0), Duration.ofSeconds(20), tls)
            // A cluster: the client follows the leader through the list (LeaderEndpoints).
            : TransactionClient.create(vertx, coords, Duration.ofSeconds(20),
                tls.map(t -> t.applyTo(new HttpClientOptions())).orElse(new HttpClientOptions()), Map.of())) {
      long expected = check.total();
      System.out.printf("total money at start: %d%n", expected);
      HttpClient http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(options.concurrency()));
      TransferStats stats = new TransferStats();
      TransferLoad load = new TransferLoad(client, http, bankA, bankB, options, stats);
      long progress = vertx.setPeriodic(options.progressEvery().toMillis(), id -> System.out.println(stats.progress()));
      Future<Void> done = load.run(options.concurrency());

      long recoveryMark = -1;
      Duration remaining = options.duration();
      List<String> failovers = new ArrayList<>();
      if (cluster != null && options.kill()) {
        long loadStart = System.nanoTime();
        ClusterFaults faults = new ClusterFaults(vertx, cluster, stats, options.downtime());
        pause(vertx, options.duration().multipliedBy(3).dividedBy(10));
        failovers.add(faults.killLeader());
        pauseUntil(vertx, loadStart, options.duration().multipliedBy(65).dividedBy(100));
        failovers.add(faults.freezeLeader());
        remaining = options.duration().minusNanos(System.nanoTime() - loadStart);
      } else if (options.kill()) {
        Duration beforeKill = options.duration().multipliedBy(4).dividedBy(10);
        pause(vertx, beforeKill);
        recoveryMark = Files.exists(bankB.log()) ? Files.size(bankB.log()) : 0;
        long pid = bankB.kill();
        System.out.printf("!! kill -9 %s (pid %d) with transfers in flight; it stays down for %s%n", BANK_B, pid,
            format(options.downtime()));
        pause(vertx, options.downtime());
        long restart = System.nanoTime();
        bankB.start(Duration.ofMinutes(2));
        System.out.printf("!! %s restarted in %d ms on the same ports and data; it resolves its in-doubt branches"
            + " with the coordinator%n", BANK_B, (System.nanoTime() - restart) / 1_000_000);
        remaining = options.duration().minus(beforeKill).minus(options.downtime())
            .minusNanos(System.nanoTime() - restart);
      }
      if (!remaining.isNegative()) {
        pause(vertx, remaining);
      }
      load.stop();
      done.await(2, TimeUnit.MINUTES);
      vertx.cancelTimer(progress);
      System.out.println(stats.progress());
      http.close();

      System.out.println("---- summary ----");
      System.out.println(stats.summary());
      if (recoveryMark >= 0) {
        System.out.printf("%s crash: %d branch(es) found prepared at restart and resolved through the coordinator%n",
            BANK_B, countLines(bankB.log(), recoveryMark, RECOVERY_LINE));
      }
      InvariantCheck.Verdict verdict = check.await(expected, options.settleTimeout());
      boolean ok = verdict.ok() && stats.committed() > 0;
      System.out.println(verdict.line());
      if (stats.committed() == 0) {
        System.out.println("DEMO FAILED: no transfer committed");
      }
      if (cluster != null) {
        ok &= clusterVerdict(cluster, stats, failovers);
      }
      System.out.printf("demo finished in %.1f s: %s%n", (System.nanoTime() - began) / 1e9, ok ? "PASS" : "FAIL");
      return ok ? 0 : 1;
    }
  }

  /**
   * The cluster's part of the verdict: no transfer whose outcome the client could not learn, and no member whose own
   * H2 log still holds an unfinished transaction once it applied everything the leader committed.
   */
  private static boolean clusterVerdict(CoordinatorCluster cluster, TransferStats stats, List<String> failovers)
      throws Exception {
    boolean applied = cluster.awaitApplied(Duration.ofSeconds(30));
    Map<String, Integer> unfinished = cluster.stopAndCountUnfinished();
    boolean membersOk = applied && unfinished.values().stream().allMatch(n -> n == 0);
    System.out.printf("COORDINATOR MEMBERS %s: unfinished transactions in each member's own log: %s%s%n",
        membersOk ? "OK" : "FAILED", unfinished.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining(", ")),
        applied ? " (each had applied the leader's log up to its commit index)"
            : " (NOT every member applied the leader's log within 30 s)");
    if (!failovers.isEmpty()) {
      System.out.println("failover (leader lost -> next committed transfer): " + String.join("; ", failovers));
    }
    if (stats.unknown() > 0) {
      System.out.printf("DEMO FAILED: %d transfer(s) whose outcome the client could not learn%n", stats.unknown());
    }
    return membersOk && stats.unknown() == 0;
  }

  private static void pauseUntil(Vertx vertx, long fromNanos, Duration offset) throws TimeoutException {
    pause(vertx, offset.minusNanos(System.nanoTime() - fromNanos));
  }

  private static List<String> bankFlags(String url, List<String> tlsFlags) {
    List<String> flags = new java.util.ArrayList<>(tlsFlags);
    if (url != null) {
      flags.addAll(List.of("--db=" + url, "--db.user=postgres", "--db.password=postgres"));
    }
    return flags;
  }

  private static void pause(Vertx vertx, Duration d) throws TimeoutException {
    if (!d.isNegative() && d.toMillis() > 0) {
      vertx.timer(d.toMillis()).await(d.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    }
  }

  private static long countLines(Path log, long from, String needle) throws IOException {
    byte[] bytes = Files.readAllBytes(log);
    String text = new String(bytes, (int) Math.min(from, bytes.length), (int) Math.max(0, bytes.length - from),
        StandardCharsets.UTF_8);
    return text.lines().filter(l -> l.contains(needle)).count();
  }

  private static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
