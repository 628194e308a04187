package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.support.MemoryResource;
import io.pledge.participant.support.ParticipantCalls;
import io.pledge.participant.support.Postgres;
import io.pledge.testkit.JvmProcess;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two bank JVMs on a real PostgreSQL (one database each, XA through pgjdbc and the pooled adapter; the same on H2
 * files where it applies), a coordinator JVM, and concurrent transfers, through the faults of issue 13 and issue 11
 * item 3: {@code kill -9} of a bank at its worst moments, of the coordinator while branches are open or prepared, a
 * PostgreSQL restart under running banks, and hot accounts with and without {@code lock_timeout}. After each:
 * every account equals its initial balance plus exactly the committed transfers, nothing prepared in the database,
 * nothing in doubt or open at the banks, within a bounded time and without restarting a bank (beyond the restart
 * of the one killed).
 *
 * <p>{@code -Dpledge.it.silence=1h} runs the banks as the SDK was before issue 11 item 3 (nobody asks about a
 * silent branch): {@link #aCoordinatorRestartDoesNotStrandOpenOrPreparedBranches} then fails.
 */
class PostgresBankIT {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBankIT.class);
  private static final int ACCOUNTS = 10;
  private static final long INITIAL = 1000;
  private static final String SILENCE = System.getProperty("pledge.it.silence", "2s");

  @TempDir
  static Path shared;

  private static Postgres pg;
  private static int databases;

  @TempDir
  Path dir;

  private Vertx vertx;
  private int coordinatorPort;
  private JvmProcess coordinator;
  private TransactionClient client;
  private BankProcess left;
  private BankProcess right;
  private String leftDb;
  private String rightDb;
  private final List<AutoCloseable> closing = new ArrayList<>();
  /** Accounts per bank in this test: few for contention, many for a throughput figure. */
  private int accounts = ACCOUNTS;

  @BeforeAll
  static void startDatabase() {
    pg = Postgres.start(shared.resolve("pg"), Map.of());
  }

  @AfterAll
  static void stopDatabase() {
    pg.close();
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    try (ServerSocket s = new ServerSocket(0)) {
      coordinatorPort = s.getLocalPort();
    }
    startCoordinator();
    client = TransactionClient.create(vertx, new Endpoint("127.0.0.1", coordinatorPort), Duration.ofSeconds(10));
  }

  private void startCoordinator() {
    coordinator = JvmProcess.start("coordinator", "io.pledge.coordinator.CoordinatorMain", List.of(
        "--grpc.port=" + coordinatorPort, "--http.port=0", "--data.dir=" + dir.resolve("coordinator"),
        "--tx.prepare-timeout=30s"), Map.of(), dir);
    coordinator.awaitLine(l -> l.startsWith("PLEDGE-COORDINATOR READY"), Duration.ofSeconds(60));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    if (left != null) {
      left.close();
    }
    if (right != null) {
      right.close();
    }
    client.close();
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Two banks; on PostgreSQL each gets a fresh database (with {@code lockTimeout} set on it, if given). */
  private void startBanks(boolean postgres, String lockTimeout, List<String> leftExtra) throws Exception {
    List<String> common = new ArrayList<>(List.of("--participant.recovery.silence=" + SILENCE,
        "--bank.accounts=" + accounts, "--bank.initial=" + INITIAL));
    List<String> leftArgs = new ArrayList<>(common);
    List<String> rightArgs = new ArrayList<>(common);
    if (postgres) {
      int n = ++databases;
      leftDb = "bank_left_" + n;
      rightDb = "bank_right_" + n;
      for (String db : List.of(leftDb, rightDb)) {
        pg.exec("CREATE DATABASE " + db);
        if (lockTimeout != null) {
          pg.exec("ALTER DATABASE " + db + " SET lock_timeout = '" + lockTimeout + "'");
        }
      }
      leftArgs.add("--bank.jdbc-url=" + pg.url(leftDb));
      rightArgs.add("--bank.jdbc-url=" + pg.url(rightDb));
    }
    leftArgs.addAll(leftExtra);
    left = new BankProcess("left", dir.resolve("left"), coordinatorPort);
    right = new BankProcess("right", dir.resolve("right"), coordinatorPort);
    CompletableFuture<?> l = CompletableFuture.runAsync(() -> left.start(false, leftArgs));
    CompletableFuture<?> r = CompletableFuture.runAsync(() -> right.start(false, rightArgs));
    CompletableFuture.allOf(l, r).get(90, TimeUnit.SECONDS);
    this.leftArgs = leftArgs;
  }

  private List<String> leftArgs;

  private TransferLoad load(Duration txTimeout, Duration callTimeout) {
    return new TransferLoad(vertx, client, left, right, accounts, txTimeout, callTimeout);
  }

  @Test
  void aBankKilledAtItsWorstMomentsLosesNothing() throws Exception {
    startBanks(true, null, List.of());
    TransferLoad load = load(Duration.ofSeconds(20), Duration.ofSeconds(5));
    load.start(6);
    for (String point : List.of("after-db-prepare", "before-phase2", "after-db-commit")) {
      List<String> args = new ArrayList<>(leftArgs);
      args.addAll(List.of("--bank.crash-at=" + point, "--bank.crash-after=5"));
      left.kill();
      left.start(false, args);
      left.process().awaitLine(l -> l.startsWith("CRASH-POINT " + point), Duration.ofSeconds(60));
      left.kill();
      LOG.info("killed the left bank at {}", point);
      left.start(false, leftArgs);
      int before = load.size();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.size() >= before + 10);
    }
    load.stop();
    assertConsistent(load, true, Duration.ofSeconds(60));
  }

  @ParameterizedTest(name = "postgres={0}")
  @ValueSource(booleans = {true, false})
  void aCoordinatorRestartDoesNotStrandOpenOrPreparedBranches(boolean postgres) throws Exception {
    startBanks(postgres, null, List.of());
    MemoryResource gated = new MemoryResource();
    ParticipantNode third = ParticipantNode.builder(vertx, ParticipantOptions.defaults(
        new Endpoint("127.0.0.1", coordinatorPort), dir.resolve("third"))).resource("third", gated)
        .start().await(30, TimeUnit.SECONDS);
    closing.add(() -> third.close().await(10, TimeUnit.SECONDS));
    HttpClient http = vertx.createHttpClient();

    // Open branches: worked for at both banks, never committed; their deadline is far away.
    List<String> open = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String tx = client.begin(Duration.ofMinutes(5), Map.of()).await(10, TimeUnit.SECONDS);
      Future.all(add(http, left, tx, i, -10), add(http, right, tx, i, 10)).await(10, TimeUnit.SECONDS);
      open.add(tx);
    }
    // Prepared branches the coordinator has no record of (as when its commit-intent record is lost with it): the
    // Prepare calls come straight from the test, playing a coordinator that dies right after sending them. After
    // its restart it presumes them aborted and tells nobody; only the banks' own question can end them.
    try (ParticipantCalls calls = new ParticipantCalls(vertx, left.grpcPort());
        ParticipantCalls callsRight = new ParticipantCalls(vertx, right.grpcPort())) {
      for (int i = 7; i < 10; i++) {
        String tx = client.begin(Duration.ofMinutes(5), Map.of()).await(10, TimeUnit.SECONDS);
        Future.all(add(http, left, tx, i, -30), add(http, right, tx, i, 30)).await(10, TimeUnit.SECONDS);
        assertEquals(io.pledge.api.v1.Vote.VOTE_YES, calls.prepare(tx, "left").getVote());
        assertEquals(io.pledge.api.v1.Vote.VOTE_YES, callsRight.prepare(tx, "right").getVote());
      }
    }
    // Prepared branches of a commit in progress: both banks voted yes, the third participant never answers; the
    // coordinator dies before the decision (its recovery aborts these from its commit-intent record).
    List<String> prepared = new ArrayList<>();
    for (int i = 4; i < 7; i++) {
      String tx = client.begin(Duration.ofMinutes(5), Map.of()).await(10, TimeUnit.SECONDS);
      gated.gate(tx, Promise.promise().future());
      Future.all(add(http, left, tx, i, -20), add(http, right, tx, i, 20), third.join("third", tx))
          .await(10, TimeUnit.SECONDS);
      client.commit(tx);
      prepared.add(tx);
    }
    for (String tx : prepared) {
      left.process().awaitLine(l -> l.equals("PREPARED " + tx + " YES"), Duration.ofSeconds(20));
      right.process().awaitLine(l -> l.equals("PREPARED " + tx + " YES"), Duration.ofSeconds(20));
    }
    coordinator.kill();
    startCoordinator();
    long restarted = System.nanoTime();

    Awaitility.await("open and prepared branches ended at the running banks").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250)).until(() -> quiet(left, leftDb) && quiet(right, rightDb));
    LOG.info("STRANDED-BRANCHES-ENDED postgres={} after {} ms", postgres,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
    for (BankProcess bank : List.of(left, right)) {
      JsonObject s = bank.status();
      assertEquals(ACCOUNTS * INITIAL, s.getLong("total"));
      TransferLoad.balances(s).forEach((account, balance) -> assertEquals(INITIAL, balance, "account " + account));
    }
    // And the banks serve new transactions.
    TransferLoad load = load(Duration.ofSeconds(20), Duration.ofSeconds(5));
    load.start(4);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.count(TransferLoad.Outcome.COMMITTED) >= 10);
    load.stop();
    assertConsistent(load, postgres, Duration.ofSeconds(30));
  }

  @Test
  void aDatabaseRestartDoesNotWedgeRunningBanks() throws Exception {
    accounts = 200; // rare conflicts: the steady-state figures measure the SDK, not row-lock waits
    startBanks(true, null, List.of());
    TransferLoad load = load(Duration.ofSeconds(20), Duration.ofSeconds(5));
    load.start(8);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.count(TransferLoad.Outcome.COMMITTED) >= 30);
    // Steady state first: how many physical connections do transactions open once the pools are warm?
    long warmTransfers = load.size();
    long warmConnections = left.status().getLong("connectionsOpened") + right.status().getLong("connectionsOpened");
    long windowStart = System.nanoTime();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> load.count(TransferLoad.Outcome.COMMITTED) >= 130);
    double[] rate = load.throughputAndP99(windowStart, System.nanoTime());
    long transfers = load.size() - warmTransfers;
    long opened = left.status().getLong("connectionsOpened") + right.status().getLong("connectionsOpened")
        - warmConnections;
    LOG.info("CONNECTIONS-PER-TX steady state: {} connections opened for {} transfers ({} per transfer);"
        + " {} committed/s, p99 {} ms (8 lanes, 2 banks on PostgreSQL, HTTP work calls)", opened, transfers,
        String.format("%.3f", (double) opened / transfers), String.format("%.1f", rate[0]),
        String.format("%.1f", rate[1]));
    // One per branch before the pool (0.87 a transfer in the issue); a warm pool opens a few more only when a rollback
    // cuts a connection stuck on a row lock, more of them on a loaded machine (6 for 105 transfers seen at load 20).
    assertTrue(opened <= transfers / 10, opened + " connections opened for " + transfers + " transfers");
    pg.restart();
    long committedAtRestart = load.count(TransferLoad.Outcome.COMMITTED);
    LOG.info("PostgreSQL restarted with {} transfers committed", committedAtRestart);
    Awaitility.await("transfers commit again").atMost(Duration.ofSeconds(30))
        .until(() -> load.count(TransferLoad.Outcome.COMMITTED) >= committedAtRestart + 30);
    load.stop();
    assertConsistent(load, true, Duration.ofSeconds(60));
    assertTrue(left.process().lines().stream().anyMatch(l -> l.startsWith("PREPARED ") && l.endsWith(" READ_ONLY")),
        "the read-only branches voted READ_ONLY (and left nothing prepared: checked above)");
  }

  @ParameterizedTest(name = "lock_timeout={0}")
  @ValueSource(strings = {"0", "5s"})
  void hotAccountsKeepCommitting(String lockTimeout) throws Exception {
    startBanks(true, lockTimeout, List.of());
    // 32 transfers in flight on 5 accounts per bank, against 16 work threads per bank. Before issue 13 this wedged
    // (0 commits in 40 s: every adapter thread waited on a row lock held by a branch whose commit needed a thread).
    // Transfers whose two legs wait on each other across the banks (a deadlock no database sees) end at the call
    // timeout, so many abort; what matters is that commits keep coming.
    TransferLoad load = new TransferLoad(vertx, client, left, right, 5, Duration.ofSeconds(15), Duration.ofSeconds(4));
    long start = System.nanoTime();
    load.start(32);
    // The wedge gave 0 commits in 40 s; on a loaded 2-core machine this takes 10-40 s.
    Awaitility.await("hot accounts keep committing").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
        .until(() -> load.count(TransferLoad.Outcome.COMMITTED) >= 30);
    double seconds = (System.nanoTime() - start) / 1e9;
    load.stop();
    LOG.info("HOT-ACCOUNTS lock_timeout={} committed={} in {} s ({} /s), aborted={}, unknown={}", lockTimeout,
        load.count(TransferLoad.Outcome.COMMITTED), String.format("%.1f", seconds),
        String.format("%.1f", load.count(TransferLoad.Outcome.COMMITTED) / seconds),
        load.count(TransferLoad.Outcome.ABORTED), load.count(TransferLoad.Outcome.UNKNOWN));
    assertConsistent(load, true, Duration.ofSeconds(60));
  }

  private Future<Void> add(HttpClient http, BankProcess bank, String tx, int account, long amount) {
    RequestOptions options = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(bank.httpPort()).setURI("/add?account=" + account + "&amount=" + amount)
        .setTimeout(10_000), tx);
    return http.request(options).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("bank: " + resp.statusCode() + " " + body))));
  }

  /** Nothing in doubt, open or prepared at the bank, nor in its database (any role's prepared transactions). */
  private boolean quiet(BankProcess bank, String database) throws Exception {
    JsonObject s = bank.status();
    boolean quiet = s.getInteger("inDoubt") == 0 && s.getInteger("openBranches") == 0
        && s.getInteger("liveBranches") == 0 && s.getInteger("xaPrepared") == 0;
    if (database != null) {
      quiet &= pg.queryLong("SELECT COUNT(*) FROM pg_prepared_xacts WHERE database = '" + database + "'") == 0
          && pg.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + database
              + "' AND state LIKE 'idle in transaction%'") == 0;
    }
    return quiet;
  }

  private void assertConsistent(TransferLoad load, boolean postgres, Duration within) throws Exception {
    long settleStart = System.nanoTime();
    Awaitility.await("nothing in doubt, open or prepared").atMost(within).pollInterval(Duration.ofMillis(250))
        .until(() -> quiet(left, postgres ? leftDb : null) && quiet(right, postgres ? rightDb : null));
    long settledMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - settleStart);
    load.resolveUnknown();
    Map<BankProcess, Map<Integer, Long>> expected = load.expected(INITIAL, accounts);
    long total = 0;
    for (BankProcess bank : List.of(left, right)) {
      JsonObject s = bank.status();
      assertEquals(expected.get(bank), TransferLoad.balances(s), bank + ": balances = initial + committed transfers");
      total += s.getLong("total");
    }
    assertEquals(2 * accounts * INITIAL, total, "money created or destroyed");
    long committed = load.count(TransferLoad.Outcome.COMMITTED);
    JsonObject r = right.status();
    LOG.info("CONSISTENT transfers={} committed={} aborted={} settled in {} ms; right bank opened {} connections"
        + " for {} prepares", load.size(), committed, load.count(TransferLoad.Outcome.ABORTED), settledMs,
        r.getLong("connectionsOpened"), r.getLong("prepares"));
    assertTrue(committed > 0, "some transfers committed");
  }
}
