package io.pledge.examples.orders;

import io.pledge.examples.orders.inventory.Inventory;
import io.pledge.examples.orders.orderbook.OrderBook;
import io.pledge.examples.orders.payments.Payments;
import io.pledge.participant.client.TransactionClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Collectors;

/**
 * The client's job: place {@code count} orders, {@code concurrency} at a time, each in its own Pledge transaction
 * (record the order, reserve the stock, take the payment; commit, or roll back when a service refuses), print each
 * outcome and a summary, then wait for phase 2 to settle everywhere and judge the three databases
 * ({@link ConsistencyCheck}).
 *
 * <p>Every service is called in the same order (orders, inventory, payments) and each order touches one sku row
 * and one wallet row, so two orders never wait for each other's rows in a cycle.
 *
 * <p>Blocking: {@link #run} is called from a main thread, never from an event loop.
 */
final class PlaceOrders {

  /** How many orders, how many in flight, the random seed of the plan, how long the check waits to settle. */
  record Settings(int count, int concurrency, long seed, Duration settleTimeout) {
    Settings {
      if (count < 1 || concurrency < 1) {
        throw new IllegalArgumentException("count and concurrency must be positive");
      }
      if (settleTimeout.isNegative()) {
        throw new IllegalArgumentException("settle-timeout must not be negative");
      }
    }
  }

  /** What happened: every placement in plan order, and the verdict on the databases afterwards. */
  record Report(List<Placement> placements, ConsistencyCheck.Verdict verdict) {
    long count(Placement.Result result) {
      return placements.stream().filter(p -> p.result() == result).count();
    }
  }

  private final Vertx vertx;
  private final Services services;
  private final Settings settings;
  private final PrintStream out;

  PlaceOrders(Vertx vertx, Services services, Settings settings, PrintStream out) {
    this.vertx = vertx;
    this.services = services;
    this.settings = settings;
    this.out = out;
  }

  Report run() throws Exception {
    try (ServiceApi api = new ServiceApi(vertx, settings.concurrency());
        TransactionClient client = TransactionClient.create(vertx, services.coordinator(), Duration.ofSeconds(20));
        CoordinatorView coordinator = new CoordinatorView(vertx, services.coordinator())) {
      Snapshot before = snapshot(api, coordinator);
      Map<String, Long> prices = before.skus().stream()
          .collect(Collectors.toMap(Snapshot.Sku::sku, Snapshot.Sku::price));
      List<String> customers = before.wallets().stream().map(Snapshot.Wallet::customer).toList();
      // Unique per run (seconds since the epoch, base 36), so that runs against the same databases never collide.
      String runId = "r" + Long.toString(System.currentTimeMillis() / 1000 % (36L * 36 * 36 * 36 * 36 * 36), 36);
      List<PlannedOrder> plan = PlannedOrder.plan(runId, settings.count(), prices, customers, settings.seed());
      out.printf("before: stock %s; wallets %s%n", stock(before), wallets(before));
      out.printf("placing %d orders (%s...), %d at a time; each is one transaction over orders, inventory and"
          + " payments%n", plan.size(), plan.get(0).id(), settings.concurrency());

      long began = System.nanoTime();
      List<Placement> placements = placeAll(client, api, plan).await(10, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - began) / 1e9;

      out.println("---- summary ----");
      out.println(summary(placements, seconds));
      ConsistencyCheck.Verdict verdict = settle(api, coordinator, placements, before);
      return new Report(placements, verdict);
    }
  }

  private Future<List<Placement>> placeAll(TransactionClient client, ServiceApi api, List<PlannedOrder> plan) {
    AtomicInteger next = new AtomicInteger();
    AtomicReferenceArray<Placement> done = new AtomicReferenceArray<>(plan.size());
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(settings.concurrency(), plan.size()); i++) {
      lanes.add(lane(client, api, plan, next, done));
    }
    return Future.join(lanes).map(v -> {
      List<Placement> all = new ArrayList<>(plan.size());
      for (int i = 0; i < plan.size(); i++) {
        all.add(done.get(i));
      }
      return all;
    });
  }

  private Future<Void> lane(TransactionClient client, ServiceApi api, List<PlannedOrder> plan, AtomicInteger next,
      AtomicReferenceArray<Placement> done) {
    int i = next.getAndIncrement();
    if (i >= plan.size()) {
      return Future.succeededFuture();
    }
    return place(client, api, plan.get(i)).compose(placement -> {
      done.set(i, placement);
      out.println(placement.line());
      return lane(client, api, plan, next, done);
    });
  }

  /** One order, one transaction: orders, then inventory, then payments; a refusal anywhere rolls it all back. */
  Future<Placement> place(TransactionClient client, ServiceApi api, PlannedOrder o) {
    return client.inTransaction(tx -> api.post(OrderBook.NAME, services.orders(), OrderBook.WORK_PATH,
                params("id", o.id(), "customer", o.customer(), "sku", o.sku(), "qty", o.qty(), "amount", o.amount()), tx)
            .compose(v -> api.post(Inventory.NAME, services.inventory(), Inventory.WORK_PATH,
                params("order", o.id(), "sku", o.sku(), "qty", o.qty()), tx))
            .compose(v -> api.post(Payments.NAME, services.payments(), Payments.WORK_PATH,
                params("order", o.id(), "customer", o.customer(), "amount", o.amount()), tx)))
        .map(r -> Placement.of(o, r))
        .otherwise(e -> Placement.unknown(o, e));
  }

  /** Waits until the check passes (phase 2 and recovery finish asynchronously) or the settle timeout passes. */
  private ConsistencyCheck.Verdict settle(ServiceApi api, CoordinatorView coordinator, List<Placement> placements,
      Snapshot before) throws Exception {
    Instant deadline = Instant.now().plus(settings.settleTimeout());
    while (true) {
      Snapshot now = snapshot(api, coordinator);
      ConsistencyCheck.Verdict verdict = ConsistencyCheck.check(now, placements);
      if (verdict.ok() || Instant.now().isAfter(deadline)) {
        out.printf("after: stock %s; wallets %s%n", stock(now), wallets(now));
        return verdict;
      }
      vertx.timer(300).await(5, TimeUnit.SECONDS);
    }
  }

  Snapshot snapshot(ServiceApi api, CoordinatorView coordinator) throws Exception {
    Future<JsonObject> orders = api.state(OrderBook.NAME, services.orders());
    Future<JsonObject> inventory = api.state(Inventory.NAME, services.inventory());
    Future<JsonObject> payments = api.state(Payments.NAME, services.payments());
    Future<Integer> unfinished = coordinator.unfinished();
    Future.all(orders, inventory, payments, unfinished).await(30, TimeUnit.SECONDS);
    return Snapshot.of(orders.result(), inventory.result(), payments.result(), unfinished.result());
  }

  static String summary(List<Placement> placements, double seconds) {
    Map<Placement.Result, Long> by = placements.stream()
        .collect(Collectors.groupingBy(Placement::result, Collectors.counting()));
    long aborted = placements.stream().filter(Placement::aborted).count();
    String causes = Arrays.stream(Placement.Result.values())
        .filter(r -> r != Placement.Result.COMMITTED && r != Placement.Result.UNKNOWN)
        .map(r -> r.label + " " + by.getOrDefault(r, 0L)).collect(Collectors.joining(", "));
    return String.format("orders: %d placed in %.1f s: %d committed, %d aborted (%s), %d outcome unknown",
        placements.size(), seconds, by.getOrDefault(Placement.Result.COMMITTED, 0L), aborted, causes,
        by.getOrDefault(Placement.Result.UNKNOWN, 0L));
  }

  private static String stock(Snapshot s) {
    return s.skus().stream().map(k -> k.sku() + " " + k.stock() + "/" + k.received()).collect(Collectors.joining(", "));
  }

  private static String wallets(Snapshot s) {
    return s.wallets().stream().map(w -> w.customer() + " " + w.balance() + "/" + w.deposited())
        .collect(Collectors.joining(", "));
  }

  /** Work-call parameters from alternating names and values. */
  static Map<String, Object> params(Object... keyValues) {
    Map<String, Object> params = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      params.put((String) keyValues[i], keyValues[i + 1]);
    }
    return params;
  }
}
