package io.pledge.examples.orders;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * What the three databases and the coordinator hold at one moment: the committed rows of each service
 * ({@code GET /state}), their in-doubt counters, and the coordinator's count of unfinished transactions. The JSON
 * of the services is read here and nowhere else.
 */
record Snapshot(List<Order> orders, List<Sku> skus, List<Reservation> reservations, List<Wallet> wallets,
    List<Payment> payments, List<Health> health, int unfinished) {

  record Order(String id, String customer, String sku, long qty, long amount, String status) {}

  record Sku(String sku, long price, long stock, long received) {}

  record Reservation(String order, String sku, long qty) {}

  record Wallet(String customer, long balance, long deposited) {}

  record Payment(String order, String customer, long amount) {}

  /**
   * A service's loose ends: branches in doubt in its participant log, XA branches its database holds prepared,
   * branches open in its XA adapter, refused branches not yet rolled back.
   */
  record Health(String service, int inDoubt, int xaPrepared, int openBranches, int rollbackOnly) {
    boolean settled() {
      return inDoubt == 0 && xaPrepared == 0 && openBranches == 0 && rollbackOnly == 0;
    }
  }

  Snapshot {
    orders = List.copyOf(orders);
    skus = List.copyOf(skus);
    reservations = List.copyOf(reservations);
    wallets = List.copyOf(wallets);
    payments = List.copyOf(payments);
    health = List.copyOf(health);
  }

  static Snapshot of(JsonObject orders, JsonObject inventory, JsonObject payments, int unfinished) {
    return new Snapshot(
        rows(orders, "orders", o -> new Order(o.getString("id"), o.getString("customer"), o.getString("sku"),
            o.getLong("qty"), o.getLong("amount"), o.getString("status"))),
        rows(inventory, "skus", o -> new Sku(o.getString("sku"), o.getLong("price"), o.getLong("stock"),
            o.getLong("received"))),
        rows(inventory, "reservations", o -> new Reservation(o.getString("order"), o.getString("sku"),
            o.getLong("qty"))),
        rows(payments, "wallets", o -> new Wallet(o.getString("customer"), o.getLong("balance"),
            o.getLong("deposited"))),
        rows(payments, "payments", o -> new Payment(o.getString("order"), o.getString("customer"),
            o.getLong("amount"))),
        List.of(health(orders), health(inventory), health(payments)), unfinished);
  }

  private static <T> List<T> rows(JsonObject state, String field, Function<JsonObject, T> row) {
    JsonArray array = state.getJsonArray(field, new JsonArray());
    return array.stream().map(o -> row.apply((JsonObject) o)).toList();
  }

  private static Health health(JsonObject state) {
    return new Health(state.getString("service", "?"), state.getInteger("inDoubt", 0),
        state.getInteger("xaPrepared", 0), state.getInteger("openBranches", 0), state.getInteger("rollbackOnly", 0));
  }
}
