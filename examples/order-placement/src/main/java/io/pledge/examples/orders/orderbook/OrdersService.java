package io.pledge.examples.orders.orderbook;

import io.pledge.common.config.ConfigKey;
import io.pledge.examples.orders.service.ServiceHost;
import io.pledge.examples.orders.service.ServiceOptions;
import java.util.List;

/**
 * The orders service: {@code POST /orders?id=O&customer=C&sku=S&qty=N&amount=A} records order O inside the
 * transaction, or answers 409 {@code DUPLICATE_ORDER}.
 */
public final class OrdersService {

  public static final ConfigKey<Integer> HTTP_PORT = ServiceOptions.httpPort(8091);
  public static final List<ConfigKey<?>> KEYS = ServiceOptions.keys(HTTP_PORT, List.of());

  private OrdersService() {}

  public static void main(String[] args) {
    ServiceHost.main("orders-service", "The example's orders: one row per placed order in H2, written inside Pledge"
        + " transactions (XA).", KEYS, HTTP_PORT, args, c -> new OrderBook());
  }
}
