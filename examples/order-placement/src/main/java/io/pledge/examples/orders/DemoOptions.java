package io.pledge.examples.orders;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.examples.orders.inventory.InventoryService;
import io.pledge.examples.orders.payments.PaymentsService;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Settings of {@link OrdersDemoMain}: the client's ({@link PlaceOrdersMain}) plus the seed data and a directory. */
record DemoOptions(PlaceOrders.Settings client, String skus, String wallets, Optional<Path> dir) {

  static final ConfigKey<String> SKUS = ConfigKey.string("skus", InventoryService.SKUS.defaultValue(),
      "the inventory's skus, sku:stock:price separated by commas");
  static final ConfigKey<String> WALLETS = ConfigKey.string("wallets", PaymentsService.WALLETS.defaultValue(),
      "the customers' wallets, customer:balance separated by commas");
  static final ConfigKey<String> DIR = ConfigKey.string("dir", "",
      "directory for the databases, the coordinator log and the services' log files (empty: a new temporary one)");

  static final List<ConfigKey<?>> KEYS = List.of(PlaceOrdersMain.COUNT, PlaceOrdersMain.CONCURRENCY,
      PlaceOrdersMain.SEED, PlaceOrdersMain.SETTLE_TIMEOUT, SKUS, WALLETS, DIR);

  static DemoOptions from(Config c) {
    String dir = c.get(DIR);
    return new DemoOptions(PlaceOrdersMain.settings(c), c.get(SKUS), c.get(WALLETS),
        dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir)));
  }
}
