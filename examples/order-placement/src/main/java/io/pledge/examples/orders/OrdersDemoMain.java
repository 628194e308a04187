package io.pledge.examples.orders;

import io.pledge.common.config.Cli;
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
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The order-placement demo: {@code java -jar examples/order-placement/target/pledge-orders-demo.jar}.
 *
 * <p>Starts the coordinator in this JVM and the orders, inventory and payments services each in its own JVM with
 * its own H2 database, places orders across them (some for skus that run out, some for customers whose wallet runs
 * dry: those roll back everywhere), and ends with the consistency check. Exits 0 when consistent and at least one
 * order committed, 1 otherwise, 2 on a bad flag.
 */
public final class OrdersDemoMain {

  private OrdersDemoMain() {}

  public static void main(String[] args) throws Exception {
    DemoOptions options = Cli.optionsOrExit("pledge-orders-demo", "A coordinator and three services (orders, inventory,"
        + " payments): orders placed one transaction each, then a check that the three databases agree.",
        DemoOptions.KEYS, args, config -> {
          DemoOptions parsed = DemoOptions.from(config);
          // The seeds go to the services as text: refuse a malformed one here, before anything starts.
          Inventory.parseSeed(parsed.skus());
          Payments.parseSeed(parsed.wallets());
          return parsed;
        });
    Path dir = options.dir().isPresent() ? Files.createDirectories(options.dir().get())
        : Files.createTempDirectory("pledge-orders-demo-");
    // Before the first logger exists: this JVM's coordinator logs to a file, the console is the demo's.
    System.setProperty("logback.configurationFile", "logback-demo.xml");
    System.setProperty("pledge.demo.log", dir.resolve("coordinator.log").toString());
    System.exit(run(options, dir));
  }

  static int run(DemoOptions options, Path dir) throws Exception {
    long began = System.nanoTime();
    System.out.printf("Pledge order-placement demo: %d orders, %d at a time; data and logs in %s%n",
        options.client().count(), options.client().concurrency(), dir);
    Vertx vertx = Vertx.vertx();
    CoordinatorServer coordinator = null;
    List<ServiceProcess> services = new ArrayList<>();
    try {
      coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0",
          "http.port", "0", "data.dir", dir.resolve("coordinator").toString(), "tx.prepare-timeout", "5s",
          "participant.retry-cap", "1s"))).await(2, TimeUnit.MINUTES);
      Endpoint coord = new Endpoint("127.0.0.1", coordinator.grpcPort());
      System.out.printf("coordinator on %s (metrics: http://127.0.0.1:%d/metrics)%n", coord, coordinator.httpPort());

      services.add(ServiceProcess.start(OrderBook.NAME, OrdersService.class, dir, coord, List.of()));
      services.add(ServiceProcess.start(Inventory.NAME, InventoryService.class, dir, coord,
          List.of("--" + InventoryService.SKUS.name() + "=" + options.skus())));
      services.add(ServiceProcess.start(Payments.NAME, PaymentsService.class, dir, coord,
          List.of("--" + PaymentsService.WALLETS.name() + "=" + options.wallets())));
      for (ServiceProcess s : services) {
        s.awaitReady(Duration.ofMinutes(2));
        System.out.printf("%s on http://%s (pid %d, its own JVM and H2 database)%n", s.name(), s.http(), s.pid());
      }

      PlaceOrders.Report report = new PlaceOrders(vertx, new Services(coord, services.get(0).http(),
          services.get(1).http(), services.get(2).http()), options.client(), System.out).run();
      long committed = report.count(Placement.Result.COMMITTED);
      boolean ok = report.verdict().ok() && committed > 0;
      System.out.println(report.verdict().line());
      if (committed == 0) {
        System.out.println("DEMO FAILED: no order committed");
      }
      System.out.printf("demo finished in %.1f s: %s%n", (System.nanoTime() - began) / 1e9, ok ? "PASS" : "FAIL");
      return ok ? 0 : 1;
    } finally {
      for (ServiceProcess s : services) {
        s.close();
      }
      if (coordinator != null) {
        coordinator.close().await(20, TimeUnit.SECONDS);
      }
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
