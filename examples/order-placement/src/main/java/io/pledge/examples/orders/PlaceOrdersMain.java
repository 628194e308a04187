package io.pledge.examples.orders;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client, run against services already running (by hand, see the README): places {@code --count} orders
 * through the coordinator, prints each outcome and the summary, then checks the three databases. Exits 0 when they
 * are consistent, 1 when not, 2 on a bad flag.
 */
public final class PlaceOrdersMain {

  static final ConfigKey<String> COORDINATOR = ConfigKey.string("coordinator.endpoint", "127.0.0.1:7400",
      "the coordinator's gRPC endpoint");
  static final ConfigKey<String> ORDERS = ConfigKey.string("orders", "127.0.0.1:8091", "HTTP host:port of the orders service");
  static final ConfigKey<String> INVENTORY = ConfigKey.string("inventory", "127.0.0.1:8092",
      "HTTP host:port of the inventory service");
  static final ConfigKey<String> PAYMENTS = ConfigKey.string("payments", "127.0.0.1:8093",
      "HTTP host:port of the payments service");
  static final ConfigKey<Integer> COUNT = ConfigKey.integer("count", 40, "orders to place");
  static final ConfigKey<Integer> CONCURRENCY = ConfigKey.integer("concurrency", 4, "orders in flight at once");
  static final ConfigKey<Integer> SEED = ConfigKey.integer("seed", 7,
      "seed of the random customers, skus and quantities (the same seed places the same orders)");
  static final ConfigKey<Duration> SETTLE_TIMEOUT = ConfigKey.duration("settle-timeout", Duration.ofSeconds(60),
      "how long the final check waits for phase 2 to finish everywhere");
  static final List<ConfigKey<?>> KEYS = List.of(COORDINATOR, ORDERS, INVENTORY, PAYMENTS, COUNT, CONCURRENCY, SEED,
      SETTLE_TIMEOUT);

  private PlaceOrdersMain() {}

  static PlaceOrders.Settings settings(Config c) {
    return new PlaceOrders.Settings(c.get(COUNT), c.get(CONCURRENCY), c.get(SEED), c.get(SETTLE_TIMEOUT));
  }

  /** What a run needs, read from the command line. */
  private record Run(Services services, PlaceOrders.Settings settings) {}

  public static void main(String[] args) throws Exception {
    Run run = Cli.optionsOrExit("place-orders", "Places orders across the orders, inventory and payments"
        + " services, one Pledge transaction each, then checks that the three databases agree.", KEYS, args,
        c -> new Run(new Services(Endpoint.parse(c.get(COORDINATOR)), Endpoint.parse(c.get(ORDERS)),
            Endpoint.parse(c.get(INVENTORY)), Endpoint.parse(c.get(PAYMENTS))), settings(c)));
    Services services = run.services();
    PlaceOrders.Settings settings = run.settings();
    Vertx vertx = Vertx.vertx();
    int exit;
    try {
      PlaceOrders.Report report = new PlaceOrders(vertx, services, settings, System.out).run();
      System.out.println(report.verdict().line());
      exit = report.verdict().ok() ? 0 : 1;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }
}
