package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.support.Postgres;
import io.pledge.testkit.JvmProcess;
import io.vertx.core.Future;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16 with real processes: two bank JVMs joined through the XA adapter, on a real PostgreSQL ({@code PREPARE
 * TRANSACTION}) or on H2 files (H2's XA), and a coordinator JVM. The left bank's XA prepare is its only record of
 * its yes vote (no forced PREPARED record: 0 participant-log syncs); the right bank hides the adapter's durable
 * prepare ({@code bank.durable-prepare=false}) and forces its record as before (1 sync per prepare). The left bank is
 * killed with SIGKILL right after its yes was counted and the coordinator decided commit, before the outcome reached
 * it; restarted, it finds the branch through its database's {@code recover()}, asks the coordinator, and commits:
 * the money moved exactly once, nothing stays prepared or in doubt. Then it is killed between its database's commit and
 * its COMMITTED record (on PostgreSQL): the coordinator's retried commit finds no trace of the branch and is
 * acknowledged.
 */
class DurablePrepareCrashIT {

  private static final int ACCOUNTS = 4;
  private static final long INITIAL = 1000;

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
  private HttpClient http;
  private BankProcess left;
  private BankProcess right;

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
    coordinator = JvmProcess.start("coordinator", "io.pledge.coordinator.CoordinatorMain", List.of(
        "--grpc.port=" + coordinatorPort, "--http.port=0", "--data.dir=" + dir.resolve("coordinator"),
        // Phase-2 retries reach a restarted bank within half a second, not the default 30 s cap.
        "--participant.retry-cap=500ms"), Map.of(), dir);
    coordinator.awaitLine(l -> l.startsWith("PLEDGE-COORDINATOR READY"), Duration.ofSeconds(60));
    client = TransactionClient.create(vertx, new Endpoint("127.0.0.1", coordinatorPort), Duration.ofSeconds(10));
    http = vertx.createHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    for (BankProcess bank : new BankProcess[] {left, right}) {
      if (bank != null) {
        bank.close();
      }
    }
    client.close();
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "postgres={0}")
  @ValueSource(booleans = {true, false})
  void aBankKilledRightAfterItsUnloggedYesCommitsFromItsDatabaseAfterRestart(boolean postgres) throws Exception {
    List<String> leftArgs = new ArrayList<>(List.of("--bank.accounts=" + ACCOUNTS, "--bank.initial=" + INITIAL));
    List<String> rightArgs = new ArrayList<>(leftArgs);
    rightArgs.add("--bank.durable-prepare=false");
    String leftDb = null;
    if (postgres) {
      int n = ++databases;
      leftDb = "durable_left_" + n;
      pg.exec("CREATE DATABASE " + leftDb, "CREATE DATABASE durable_right_" + n);
      leftArgs.add("--bank.jdbc-url=" + pg.url(leftDb));
      rightArgs.add("--bank.jdbc-url=" + pg.url("durable_right_" + n));
    }
    List<String> crashing = new ArrayList<>(leftArgs);
    crashing.addAll(List.of("--bank.crash-at=before-phase2", "--bank.crash-after=1"));
    left = new BankProcess("left", dir.resolve("left"), coordinatorPort);
    right = new BankProcess("right", dir.resolve("right"), coordinatorPort);
    CompletableFuture.allOf(CompletableFuture.runAsync(() -> left.start(false, crashing)),
        CompletableFuture.runAsync(() -> right.start(false, rightArgs))).get(90, TimeUnit.SECONDS);

    String tx = client.begin().await(10, TimeUnit.SECONDS);
    Future.all(add(left, tx, 1, -100), add(right, tx, 1, 100)).await(10, TimeUnit.SECONDS);
    TxOutcome outcome = client.commit(tx).await(30, TimeUnit.SECONDS);
    assertTrue(outcome.committed(), outcome.toString());
    left.process().awaitLine(l -> l.equals("CRASH-POINT before-phase2 " + tx), Duration.ofSeconds(30));

    // Voted yes and counted, and the participant log forced nothing for it; the logged bank forced one record.
    JsonObject beforeKill = left.status();
    assertEquals(0, beforeKill.getLong("participantLogSyncs"), "left: forced writes for one prepare");
    assertEquals(1, beforeKill.getInteger("xaPrepared"), "left: the database holds the prepared branch");
    Awaitility.await("right committed").atMost(Duration.ofSeconds(10))
        .until(() -> right.status().getInteger("xaPrepared") == 0);
    assertEquals(1, right.status().getLong("participantLogSyncs"), "right: forced writes for one prepare");

    left.kill();
    left.start(false, leftArgs);
    String db = leftDb;
    Awaitility.await("the left bank's branch resolved").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200)).until(() -> quiet(left, db));
    assertEquals(INITIAL - 100, TransferLoad.balances(left.status()).get(1), "the debit committed once");
    assertEquals(INITIAL + 100, TransferLoad.balances(right.status()).get(1), "the credit committed once");
    assertEquals(2 * ACCOUNTS * INITIAL, left.status().getLong("total") + right.status().getLong("total"),
        "money created or destroyed");
    assertTrue(left.process().lines().stream().anyMatch(l -> l.contains("asking the coordinator")),
        "resolved with the coordinator, not decided alone");

    if (!postgres) {
      return; // the next window on H2: DurablePrepareTest (in-process) and XaTransfersIT's kills; here it costs time
    }
    // The other window: the database committed, the bank died before its (unforced) COMMITTED record and its ack.
    // Restarted, neither its log nor recover() knows the branch; the coordinator's retried commit must be
    // acknowledged (committing by id finds nothing to do), not refused, and the money must move once.
    left.kill();
    List<String> crashAfterCommit = new ArrayList<>(leftArgs);
    crashAfterCommit.addAll(List.of("--bank.crash-at=after-db-commit", "--bank.crash-after=1"));
    left.start(false, crashAfterCommit);
    String tx2 = client.begin().await(10, TimeUnit.SECONDS);
    Future.all(add(left, tx2, 2, -30), add(right, tx2, 2, 30)).await(10, TimeUnit.SECONDS);
    assertTrue(client.commit(tx2).await(30, TimeUnit.SECONDS).committed());
    left.process().awaitLine(l -> l.equals("CRASH-POINT after-db-commit " + tx2), Duration.ofSeconds(30));
    left.kill();
    left.start(false, leftArgs);
    left.process().awaitLine(l -> l.contains("no trace here") && l.contains(tx2), Duration.ofSeconds(30));
    Awaitility.await("nothing left open").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> quiet(left, db));
    assertEquals(INITIAL - 30, TransferLoad.balances(left.status()).get(2), "the debit committed once");
    assertEquals(INITIAL + 30, TransferLoad.balances(right.status()).get(2), "the credit committed once");
    assertEquals(2 * ACCOUNTS * INITIAL, left.status().getLong("total") + right.status().getLong("total"),
        "money created or destroyed");
  }

  /** Nothing in doubt, open or prepared at the bank, nor (PostgreSQL) in its database, for any role. */
  private static boolean quiet(BankProcess bank, String database) throws Exception {
    JsonObject s = bank.status();
    boolean quiet = s.getInteger("inDoubt") == 0 && s.getInteger("openBranches") == 0
        && s.getInteger("liveBranches") == 0 && s.getInteger("xaPrepared") == 0;
    if (database != null) {
      quiet &= pg.queryLong("SELECT COUNT(*) FROM pg_prepared_xacts WHERE database = '" + database + "'") == 0;
    }
    return quiet;
  }

  private Future<Void> add(BankProcess bank, String tx, int account, long amount) {
    RequestOptions options = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(bank.httpPort()).setURI("/add?account=" + account + "&amount=" + amount)
        .setTimeout(10_000), tx);
    return http.request(options).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("bank: " + resp.statusCode() + " " + body))));
  }
}
