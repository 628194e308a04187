package io.pledge.examples.orders.orderbook;

import io.pledge.examples.orders.service.Domain;
import io.pledge.examples.orders.service.Params;
import io.pledge.examples.orders.service.Refusal;
import io.pledge.examples.orders.service.Sql;
import io.pledge.participant.xa.SqlWork;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The orders: one row {@code orders(id, customer, sku, qty, amount, status)} per placed order. The row exists only
 * if the transaction that wrote it committed, so its status is always {@value #PLACED}: an order that could not be
 * reserved or paid for was never placed.
 */
public final class OrderBook implements Domain {

  public static final String NAME = "orders";
  public static final String WORK_PATH = "/orders";
  public static final String PLACED = "PLACED";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String workPath() {
    return WORK_PATH;
  }

  @Override
  public void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS orders (id VARCHAR(64) PRIMARY KEY, customer VARCHAR(64) NOT NULL,"
          + " sku VARCHAR(64) NOT NULL, qty BIGINT NOT NULL CHECK (qty > 0), amount BIGINT NOT NULL CHECK (amount > 0),"
          + " status VARCHAR(16) NOT NULL)");
    }
  }

  @Override
  public SqlWork<JsonObject> work(Params params) {
    String id = params.id("id");
    String customer = params.id("customer");
    String sku = params.id("sku");
    long qty = params.positive("qty");
    long amount = params.positive("amount");
    return c -> record(c, id, customer, sku, qty, amount);
  }

  /** Inside the order's branch: records the order, or refuses a duplicate id. */
  static JsonObject record(Connection c, String id, String customer, String sku, long qty, long amount)
      throws SQLException {
    try (PreparedStatement insert = c.prepareStatement(
        "INSERT INTO orders (id, customer, sku, qty, amount, status) VALUES (?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, id);
      insert.setString(2, customer);
      insert.setString(3, sku);
      insert.setLong(4, qty);
      insert.setLong(5, amount);
      insert.setString(6, PLACED);
      Sql.insert(insert, () -> Refusal.conflict(Refusal.DUPLICATE_ORDER, "order " + id + " exists already"));
    }
    return new JsonObject().put("id", id).put("status", PLACED);
  }

  @Override
  public JsonObject state(Connection c) throws SQLException {
    JsonArray orders = new JsonArray();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, customer, sku, qty, amount, status FROM orders ORDER BY id")) {
      while (rs.next()) {
        orders.add(new JsonObject().put("id", rs.getString(1)).put("customer", rs.getString(2))
            .put("sku", rs.getString(3)).put("qty", rs.getLong(4)).put("amount", rs.getLong(5))
            .put("status", rs.getString(6)));
      }
    }
    return new JsonObject().put("orders", orders);
  }
}
