package io.pledge.examples.orders;

import io.pledge.common.grpc.Endpoint;
import java.util.Objects;

/** Where everything the client talks to listens: the coordinator (gRPC) and the three services' HTTP APIs. */
record Services(Endpoint coordinator, Endpoint orders, Endpoint inventory, Endpoint payments) {

  Services {
    Objects.requireNonNull(coordinator, "coordinator");
    Objects.requireNonNull(orders, "orders");
    Objects.requireNonNull(inventory, "inventory");
    Objects.requireNonNull(payments, "payments");
  }
}
