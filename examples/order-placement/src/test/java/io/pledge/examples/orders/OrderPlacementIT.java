package io.pledge.examples.orders;

import static io.pledge.examples.orders.PlaceOrders.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.examples.orders.inventory.Inventory;
import io.pledge.examples.orders.inventory.InventoryService;
import io.pledge.examples.orders.orderbook.OrderBook;
import io.pledge.examples.orders.orderbook.OrdersService;
import io.pledge.examples.orders.payments.Payments;
import io.pledge.examples.orders.payments.PaymentsService;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example end to end: a real coordinator (in this JVM), the orders, inventory and payments services each in its
 * own JVM with its own H2 file, orders placed through {@link TransactionClient}. Every test judges the databases
 * once phase 2 has settled (the consistency check passes), so "nothing changed" is read from a settled state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OrderPlacementIT {

  @TempDir
  static Path dir;

  private Vertx vertx;
  private CoordinatorServer coordinator;
  private final List<ServiceProcess> processes = new ArrayList<>();
  private Services services;
  private TransactionClient client;
  private ServiceApi api;
  private CoordinatorView view;
  private PlaceOrders placer;
  private final List<Placement> placed = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0",
        "http.port", "0", "data.dir", dir.resolve("coordinator").toString(), "participant.retry-cap", "1s")))
        .await(60, TimeUnit.SECONDS);
    Endpoint coord = new Endpoint("127.0.0.1", coordinator.grpcPort());
    processes.add(ServiceProcess.start(OrderBook.NAME, OrdersService.class, dir, coord, List.of()));
    processes.add(ServiceProcess.start(Inventory.NAME, InventoryService.class, dir, coord,
        List.of("--inventory.skus=WIDGET:10:25,LAST:1:50")));
    processes.add(ServiceProcess.start(Payments.NAME, PaymentsService.class, dir, coord,
        List.of("--payments.wallets=alice:1000,poor:30")));
    for (ServiceProcess p : processes) {
      p.awaitReady(Duration.ofSeconds(60));
    }
    services = new Services(coord, processes.get(0).http(), processes.get(1).http(), processes.get(2).http());
    client = TransactionClient.create(vertx, coord);
    api = new ServiceApi(vertx, 8);
    view = new CoordinatorView(vertx, coord);
    placer = new PlaceOrders(vertx, services, new PlaceOrders.Settings(1, 1, 1, Duration.ofSeconds(20)), System.out);
  }

  @AfterAll
  void stop() throws Exception {
    for (ServiceProcess p : processes) {
      p.close();
    }
    if (view != null) {
      view.close();
      api.close();
      client.close();
    }
    if (coordinator != null) {
      coordinator.close().await(20, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Order(1)
  void anOrderWithStockCommitsInAllThreeDatabases() throws Exception {
    Snapshot before = settled();
    Placement p = place(new PlannedOrder("it-1", "alice", "WIDGET", 2, 50));
    assertEquals(Placement.Result.COMMITTED, p.result(), p.line());

    Snapshot after = settled();
    assertTrue(after.orders().contains(new Snapshot.Order("it-1", "alice", "WIDGET", 2, 50, OrderBook.PLACED)));
    assertTrue(after.reservations().contains(new Snapshot.Reservation("it-1", "WIDGET", 2)));
    assertTrue(after.payments().contains(new Snapshot.Payment("it-1", "alice", 50)));
    assertEquals(stock(before, "WIDGET") - 2, stock(after, "WIDGET"));
    assertEquals(balance(before, "alice") - 50, balance(after, "alice"));
  }

  @Test
  @Order(2)
  void anOrderForASoldOutSkuRollsBackEverywhere() throws Exception {
    assertEquals(Placement.Result.COMMITTED, place(new PlannedOrder("it-2", "alice", "LAST", 1, 50)).result());
    Snapshot before = settled();
    assertEquals(0, stock(before, "LAST"));

    Placement p = place(new PlannedOrder("it-3", "alice", "LAST", 1, 50));
    assertEquals(Placement.Result.OUT_OF_STOCK, p.result(), p.line());
    assertTrue(p.detail().startsWith("inventory refused OUT_OF_STOCK: LAST has 0 left, order it-3 wants 1"),
        p.detail());

    // The orders service had written the order row in its branch before the inventory refused: rolled back too.
    Snapshot after = settled();
    assertNothingOf("it-3", after);
    assertEquals(0, stock(after, "LAST"));
    assertEquals(balance(before, "alice"), balance(after, "alice"));
  }

  @Test
  @Order(3)
  void insufficientFundsRollBackEverywhere() throws Exception {
    Snapshot before = settled();
    Placement p = place(new PlannedOrder("it-4", "poor", "WIDGET", 2, 50));
    assertEquals(Placement.Result.INSUFFICIENT_FUNDS, p.result(), p.line());
    assertTrue(p.detail().startsWith("payments refused INSUFFICIENT_FUNDS: poor has 30, order it-4 costs 50"),
        p.detail());

    // The inventory had reserved two widgets in its branch before the payment was refused: rolled back too.
    Snapshot after = settled();
    assertNothingOf("it-4", after);
    assertEquals(stock(before, "WIDGET"), stock(after, "WIDGET"));
    assertEquals(30, balance(after, "poor"));
  }

  @Test
  @Order(4)
  void aClientThatCommitsAfterARefusalGetsTheRefusalAsAbortCause() throws Exception {
    Snapshot before = settled();
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    api.post(OrderBook.NAME, services.orders(), OrderBook.WORK_PATH, params("id", "it-5", "customer", "alice", "sku",
        "LAST", "qty", 1, "amount", 50), tx).await(10, TimeUnit.SECONDS);
    Future<JsonObject> refused = api.post(Inventory.NAME, services.inventory(), Inventory.WORK_PATH,
        params("order", "it-5", "sku", "LAST", "qty", 1), tx);
    assertEquals("OUT_OF_STOCK", ((Refused) failure(refused)).code());
    api.post(Payments.NAME, services.payments(), Payments.WORK_PATH, params("order", "it-5", "customer", "alice",
        "amount", 50), tx).await(10, TimeUnit.SECONDS);

    // A buggy client commits anyway: the inventory's branch is rollback-only and votes no.
    TxOutcome outcome = client.commit(tx).await(40, TimeUnit.SECONDS);
    assertFalse(outcome.committed());
    assertEquals("ABORT_CAUSE_VOTED_NO", outcome.cause());
    assertTrue(outcome.detail().contains("inventory refused: OUT_OF_STOCK: LAST has 0 left, order it-5 wants 1"),
        outcome.detail());
    placed.add(new Placement(new PlannedOrder("it-5", "alice", "LAST", 1, 50), tx, Placement.Result.OUT_OF_STOCK,
        outcome.detail()));

    Snapshot after = settled();
    assertNothingOf("it-5", after);
    assertEquals(balance(before, "alice"), balance(after, "alice"));
  }

  @Test
  @Order(5)
  void badRequestsAreRefusedBeforeAnyWork() throws Exception {
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    Refused noQty = (Refused) failure(api.post(Inventory.NAME, services.inventory(), Inventory.WORK_PATH,
        params("order", "it-6", "sku", "WIDGET", "qty", 0), tx));
    assertEquals(400, noQty.status());
    assertEquals("inventory refused BAD_REQUEST: parameter 'qty' must be above 0, got 0", noQty.getMessage());
    Refused unknownSku = (Refused) failure(api.post(Inventory.NAME, services.inventory(), Inventory.WORK_PATH,
        params("order", "it-6", "sku", "NOPE", "qty", 1), tx));
    assertEquals(404, unknownSku.status());
    assertEquals("UNKNOWN_SKU", unknownSku.code());
    assertFalse(client.rollback(tx).await(10, TimeUnit.SECONDS).committed());

    Refused notInTx = (Refused) failure(api.post(Payments.NAME, services.payments(), Payments.WORK_PATH,
        params("order", "it-7", "customer", "alice", "amount", 1), "coord-0:99:1"));
    assertEquals(409, notInTx.status());
    assertEquals("NOT_IN_TRANSACTION", notInTx.code());
    settled();
  }

  @Test
  @Order(7)
  void everyServiceServesItsParticipantsMetricsAndHealth() throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    for (var service : List.of(services.orders(), services.inventory(), services.payments())) {
      var metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + service
          + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode(), service.toString());
      assertTrue(metrics.body().contains("pledge_participant_prepare_latency_seconds"), metrics.body());
      var ready = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + service
          + "/health/ready")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), service.toString());
    }
  }

  @Test
  @Order(6)
  void aBatchOfOrdersLeavesTheThreeDatabasesConsistent() throws Exception {
    PlaceOrders.Report report = new PlaceOrders(vertx, services, new PlaceOrders.Settings(12, 4, 11,
        Duration.ofSeconds(20)), System.out).run();
    assertTrue(report.verdict().ok(), report.verdict().line());
    assertTrue(report.count(Placement.Result.COMMITTED) > 0, report.verdict().line());
    assertTrue(report.placements().stream().anyMatch(Placement::aborted), "LAST is sold out and poor is poor");
    placed.addAll(report.placements());
    settled();
  }

  private Placement place(PlannedOrder order) throws Exception {
    Placement p = placer.place(client, api, order).await(60, TimeUnit.SECONDS);
    placed.add(p);
    return p;
  }

  /** Waits until every database agrees with the others and with every outcome so far, and returns that state. */
  private Snapshot settled() {
    AtomicReference<ConsistencyCheck.Verdict> last = new AtomicReference<>();
    AtomicReference<Snapshot> snapshot = new AtomicReference<>();
    try {
      Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
        snapshot.set(placer.snapshot(api, view));
        last.set(ConsistencyCheck.check(snapshot.get(), placed));
        return last.get().ok();
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(last.get() == null ? "no snapshot" : last.get().line(), e);
    }
    return snapshot.get();
  }

  private static void assertNothingOf(String order, Snapshot s) {
    assertTrue(s.orders().stream().noneMatch(o -> o.id().equals(order)), "order row of " + order);
    assertTrue(s.reservations().stream().noneMatch(r -> r.order().equals(order)), "reservation of " + order);
    assertTrue(s.payments().stream().noneMatch(p -> p.order().equals(order)), "payment of " + order);
  }

  private static long stock(Snapshot s, String sku) {
    return s.skus().stream().filter(k -> k.sku().equals(sku)).findFirst().orElseThrow().stock();
  }

  private static long balance(Snapshot s, String customer) {
    return s.wallets().stream().filter(w -> w.customer().equals(customer)).findFirst().orElseThrow().balance();
  }

  private static Throwable failure(Future<?> f) throws Exception {
    try {
      f.await(20, TimeUnit.SECONDS);
    } catch (Refused e) {
      return e;
    }
    throw new AssertionError("expected a refusal, got " + f.result());
  }
}
