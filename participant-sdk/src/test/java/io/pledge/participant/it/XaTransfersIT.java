package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two banks, each an H2 database behind the XA adapter in its own participant JVM. Many concurrent transfers
 * between them, some aborted on purpose, and one bank killed with SIGKILL in the middle and restarted. Afterwards
 * money is neither created nor destroyed, and neither database holds a prepared XA branch.
 */
class XaTransfersIT {

  private static final Logger LOG = LoggerFactory.getLogger(XaTransfersIT.class);
  private static final int ACCOUNTS = 10;
  private static final long TOTAL = 2L * ACCOUNTS * 1000;
  private static final int TRANSFERS = 240;
  private static final int IN_FLIGHT = 8;

  @TempDir
  Path dir;

  private Vertx vertx;
  private CoordinatorServer coordinator;
  private TransactionClient client;
  private HttpClient http;
  private BankProcess left;
  private BankProcess right;
  private final AtomicInteger committed = new AtomicInteger();
  private final AtomicInteger aborted = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0",
        "http.port", "0", "data.dir", dir.resolve("coordinator").toString(), "tx.prepare-timeout", "5s")))
        .await(60, TimeUnit.SECONDS);
    client = TransactionClient.create(vertx, new Endpoint("127.0.0.1", coordinator.grpcPort()), Duration.ofSeconds(20));
    http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(IN_FLIGHT * 2));
    left = new BankProcess("left", dir.resolve("left"), coordinator.grpcPort()).start(false);
    right = new BankProcess("right", dir.resolve("right"), coordinator.grpcPort()).start(false);
  }

  @AfterEach
  void stop() throws Exception {
    left.close();
    right.close();
    client.close();
    coordinator.close().await(20, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void moneyIsConservedAcrossAbortsAndAKill() throws Exception {
    runTransfers(TRANSFERS / 3).await(180, TimeUnit.SECONDS);
    // Kill while transfers are in flight, so some die between the yes vote and the outcome.
    Future<Void> during = runTransfers(TRANSFERS / 3);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> committed.get() + aborted.get() + failed.get()
        >= TRANSFERS / 3 + 10);
    left.kill();
    during.await(180, TimeUnit.SECONDS);
    left.start(false);
    runTransfers(TRANSFERS / 3).await(180, TimeUnit.SECONDS);

    LOG.info("transfers: {} committed, {} aborted, {} failed", committed, aborted, failed);
    Awaitility.await("no branch left in doubt or prepared").atMost(Duration.ofSeconds(90))
        .until(() -> settled(left.status()) && settled(right.status()));
    JsonObject r = right.status();
    System.out.printf("XA-PREPARE-LATENCY participant=right prepares=%d meanMs=%.3f (%d transfers in flight)%n",
        r.getLong("prepares"), r.getDouble("prepareMeanMs"), IN_FLIGHT);
    long total = left.status().getLong("total") + r.getLong("total");
    assertEquals(TOTAL, total, "money created or destroyed");
    assertTrue(committed.get() > TRANSFERS / 4, "most transfers commit: " + committed);
    assertTrue(aborted.get() > 0, "some transfers abort");
  }

  private static boolean settled(JsonObject status) {
    return status.getInteger("inDoubt") == 0 && status.getInteger("xaPrepared") == 0;
  }

  /** Runs {@code n} transfers, {@value #IN_FLIGHT} at a time. */
  private Future<Void> runTransfers(int n) {
    AtomicInteger started = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < IN_FLIGHT; lane++) {
      lanes.add(lane(started, n));
    }
    return Future.join(lanes).mapEmpty();
  }

  private Future<Void> lane(AtomicInteger started, int n) {
    if (started.incrementAndGet() > n) {
      return Future.succeededFuture();
    }
    return transfer().transform(ar -> lane(started, n));
  }

  private Future<Void> transfer() {
    Random random = ThreadLocalRandom.current();
    int from = random.nextInt(ACCOUNTS);
    int to = random.nextInt(ACCOUNTS);
    long amount = 1 + random.nextInt(50);
    boolean leftToRight = random.nextBoolean();
    boolean abort = random.nextInt(5) == 0;
    BankProcess debit = leftToRight ? left : right;
    BankProcess credit = leftToRight ? right : left;
    Future<TxResult<Void>> tx = client.inTransaction(txId -> Future.all(add(debit, txId, from, -amount),
        add(credit, txId, to, amount)).compose(v -> abort
            ? Future.failedFuture(new IllegalStateException("aborted on purpose"))
            : Future.succeededFuture()));
    return tx.transform(ar -> {
      if (ar.failed()) {
        failed.incrementAndGet();
      } else if (ar.result().committed()) {
        committed.incrementAndGet();
      } else {
        aborted.incrementAndGet();
      }
      return Future.succeededFuture();
    });
  }

  private Future<Void> add(BankProcess bank, String txId, int account, long amount) {
    RequestOptions options = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(bank.httpPort()).setURI("/add?account=" + account + "&amount=" + amount)
        .setTimeout(10_000), txId);
    return http.request(options).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException(resp.statusCode() + " " + body))));
  }
}
