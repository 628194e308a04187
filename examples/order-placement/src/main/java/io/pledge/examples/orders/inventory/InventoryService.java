package io.pledge.examples.orders.inventory;

import io.pledge.common.config.ConfigKey;
import io.pledge.examples.orders.service.ServiceHost;
import io.pledge.examples.orders.service.ServiceOptions;
import java.util.List;

/**
 * The inventory service: {@code POST /reservations?order=O&sku=S&qty=N} takes N units of S for order O inside the
 * transaction, or answers 409 {@code OUT_OF_STOCK} (404 {@code UNKNOWN_SKU}) and votes no at prepare.
 */
public final class InventoryService {

  public static final ConfigKey<Integer> HTTP_PORT = ServiceOptions.httpPort(8092);
  public static final ConfigKey<String> SKUS = ConfigKey.string("inventory.skus", "WIDGET:40:25,GADGET:15:40,GIZMO:4:90",
      "skus of an empty database, sku:stock:price separated by commas");
  public static final List<ConfigKey<?>> KEYS = ServiceOptions.keys(HTTP_PORT, List.of(SKUS));

  private InventoryService() {}

  public static void main(String[] args) {
    ServiceHost.main("inventory-service", "The example's inventory: stock per sku in H2, reserved for orders inside"
        + " Pledge transactions (XA).", KEYS, HTTP_PORT, args, c -> new Inventory(Inventory.parseSeed(c.get(SKUS))));
  }
}
