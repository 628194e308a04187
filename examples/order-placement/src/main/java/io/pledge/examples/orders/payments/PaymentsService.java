package io.pledge.examples.orders.payments;

import io.pledge.common.config.ConfigKey;
import io.pledge.examples.orders.service.ServiceHost;
import io.pledge.examples.orders.service.ServiceOptions;
import java.util.List;

/**
 * The payments service: {@code POST /payments?order=O&customer=C&amount=A} debits C's wallet for order O inside the
 * transaction, or answers 409 {@code INSUFFICIENT_FUNDS} (404 {@code UNKNOWN_CUSTOMER}) and votes no at prepare.
 */
public final class PaymentsService {

  public static final ConfigKey<Integer> HTTP_PORT = ServiceOptions.httpPort(8093);
  public static final ConfigKey<String> WALLETS = ConfigKey.string("payments.wallets", "alice:1500,bob:600,carol:150",
      "wallets of an empty database, customer:balance separated by commas");
  public static final List<ConfigKey<?>> KEYS = ServiceOptions.keys(HTTP_PORT, List.of(WALLETS));

  private PaymentsService() {}

  public static void main(String[] args) {
    ServiceHost.main("payments-service", "The example's payments: customer wallets in H2, debited for orders inside"
        + " Pledge transactions (XA).", KEYS, HTTP_PORT, args, c -> new Payments(Payments.parseSeed(c.get(WALLETS))));
  }
}
