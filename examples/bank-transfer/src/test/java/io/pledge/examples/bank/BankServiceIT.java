package io.pledge.examples.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two banks in this JVM against a real coordinator and lock service: the HTTP API and its answers. */
class BankServiceIT {

  @TempDir
  Path dir;

  private Vertx vertx;
  private LockServer locks;
  private CoordinatorServer coordinator;
  private TransactionClient client;
  private HttpClient http;
  private BankService a;
  private BankService b;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    locks = LockServer.start(Config.of(LockServiceOptions.ALL,
        LockServiceOptions.loopbackMember(BankProcess.freePort(), "bank-it-" + System.nanoTime())));
    Endpoint lockEndpoint = new Endpoint("127.0.0.1", locks.grpcPort());
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0",
        "http.port", "0", "data.dir", dir.resolve("coordinator").toString(), "locks.endpoint",
        lockEndpoint.toString()))).await(60, TimeUnit.SECONDS);
    Endpoint coord = new Endpoint("127.0.0.1", coordinator.grpcPort());
    client = TransactionClient.create(vertx, coord);
    http = vertx.createHttpClient();
    a = bank("bank-a", coord, lockEndpoint);
    b = bank("bank-b", coord, lockEndpoint);
  }

  private BankService bank(String name, Endpoint coord, Endpoint lockEndpoint) throws Exception {
    Config config = Config.of(BankOptions.KEYS, Map.of("bank.name", name, "bank.http.port", "0",
        "bank.accounts", "3", "bank.initial-balance", "100", "participant.port", "0",
        "participant.data.dir", dir.resolve(name).toString(), "coordinator.endpoint", coord.toString(),
        "locks.endpoint", lockEndpoint.toString()));
    return BankService.start(vertx, BankOptions.from(config)).await(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    List<Future<?>> closing = new ArrayList<>();
    for (BankService bank : new BankService[] {a, b}) {
      if (bank != null) {
        closing.add(bank.close());
      }
    }
    Future.join(closing).await(20, TimeUnit.SECONDS);
    client.close();
    coordinator.close().await(20, TimeUnit.SECONDS);
    locks.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aTransferCommitsInBothBanks() throws Exception {
    TxResult<Void> r = transfer(1, 2, 60);
    assertTrue(r.committed(), r.toString());
    // The commit answers once the decision is durable; phase 2 reaches the banks right after.
    Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertEquals(240, status(a).getLong("total"));
      assertEquals(360, status(b).getLong("total"));
    });
  }

  @Test
  void aShortBalanceRollsBackBothBanks() throws Exception {
    TxResult<Void> r = transfer(1, 2, 101);
    assertFalse(r.committed());
    assertTrue(r.workFailure().orElseThrow().getMessage().contains("409 insufficient funds"),
        r.workFailure().orElseThrow().getMessage());
    for (BankService bank : new BankService[] {a, b}) {
      JsonObject s = status(bank);
      assertEquals(300, s.getLong("total"));
      assertEquals(0, s.getInteger("xaPrepared"));
      assertEquals(0, s.getInteger("inDoubt"));
    }
  }

  @Test
  void aClientThatCommitsAfterARefusalIsToldAbortedAndNothingMoves() throws Exception {
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    assertEquals(409, send(a, HttpMethod.POST, "/debit?account=1&amount=101", tx).statusCode());
    assertEquals(200, send(b, HttpMethod.POST, "/credit?account=2&amount=101", tx).statusCode());
    TxOutcome outcome = client.commit(tx).await(30, TimeUnit.SECONDS);
    assertFalse(outcome.committed(), outcome.toString());
    assertEquals("ABORT_CAUSE_VOTED_NO", outcome.cause(), outcome.toString());
    assertTrue(outcome.detail().contains("bank-a") && outcome.detail().contains("insufficient funds"), outcome.detail());
    Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (BankService bank : new BankService[] {a, b}) {
        JsonObject s = status(bank);
        assertEquals(300, s.getLong("total"));
        assertEquals(0, s.getInteger("xaPrepared"));
        assertEquals(0, s.getInteger("openBranches"));
      }
    });
  }

  @Test
  void aDatabaseErrorIsExplainedWithoutItsSql() throws Exception {
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    // balance + Long.MAX_VALUE overflows BIGINT: the database refuses the UPDATE.
    Answer refused = send(b, HttpMethod.POST, "/credit?account=2&amount=" + Long.MAX_VALUE, tx);
    assertEquals(409, refused.statusCode());
    assertFalse(refused.body().contains("UPDATE") || refused.body().contains("SQL"), refused.body());
    assertTrue(refused.body().contains("bank-b could not apply this change"), refused.body());
    TxOutcome outcome = client.commit(tx).await(30, TimeUnit.SECONDS);
    assertFalse(outcome.committed(), outcome.toString());
    assertFalse(outcome.detail().contains("UPDATE"), "nor in the abort reason: " + outcome.detail());
  }

  @Test
  void badRequestsAreRefusedBeforeAnyWork() throws Exception {
    assertEquals(400, send(a, HttpMethod.POST, "/debit?account=1&amount=5", null).statusCode());
    assertEquals(400, send(a, HttpMethod.POST, "/debit?account=x&amount=5", "coord-0:1:1").statusCode());
    assertEquals(404, send(a, HttpMethod.GET, "/nothing", null).statusCode());
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    assertEquals(404, send(a, HttpMethod.POST, "/credit?account=99&amount=5", tx).statusCode());
    assertFalse(client.rollback(tx).await(10, TimeUnit.SECONDS).committed());
  }

  @Test
  void metricsAndHealthAreServedNextToTheApi() throws Exception {
    assertTrue(transfer(1, 2, 10).committed());
    Answer metrics = send(a, HttpMethod.GET, "/metrics", null);
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("pledge_participant_prepare_latency_seconds_count"), metrics.body());
    assertEquals(200, send(a, HttpMethod.GET, "/health/ready", null).statusCode());
    assertEquals(200, send(b, HttpMethod.GET, "/health/live", null).statusCode());
  }

  private TxResult<Void> transfer(int from, int to, long amount) throws Exception {
    return client.inTransaction(tx -> call(a, "/debit?account=" + from + "&amount=" + amount, tx)
        .compose(v -> call(b, "/credit?account=" + to + "&amount=" + amount, tx))).await(30, TimeUnit.SECONDS);
  }

  private Future<Void> call(BankService bank, String uri, String tx) {
    return sendAsync(bank, HttpMethod.POST, uri, tx).compose(r -> r.statusCode() == 200 ? Future.<Void>succeededFuture()
        : Future.failedFuture(new IllegalStateException(r.statusCode() + " " + r.body().strip())));
  }

  private JsonObject status(BankService bank) throws Exception {
    return new JsonObject(send(bank, HttpMethod.GET, "/status", null).body());
  }

  private record Answer(int statusCode, String body) {}

  private Answer send(BankService bank, HttpMethod method, String uri, String tx) throws Exception {
    return sendAsync(bank, method, uri, tx).await(20, TimeUnit.SECONDS);
  }

  private Future<Answer> sendAsync(BankService bank, HttpMethod method, String uri, String tx) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(bank.httpPort())
        .setURI(uri).setTimeout(15_000);
    if (tx != null) {
      TxPropagation.attach(options, tx);
    }
    return http.request(options).compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(), body.toString())));
  }
}
