package io.pledge.examples.orders.inventory;

import io.pledge.examples.orders.service.Domain;
import io.pledge.examples.orders.service.Params;
import io.pledge.examples.orders.service.Refusal;
import io.pledge.examples.orders.service.Seeds;
import io.pledge.examples.orders.service.Sql;
import io.pledge.participant.xa.SqlWork;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The stock: {@code sku(sku, price, stock, received)} and one {@code reservation(order_id, sku, qty)} per order.
 * A reservation takes the units off {@code stock}, so {@code stock + reserved = received} for every sku, and the
 * database itself refuses a negative stock ({@code CHECK}).
 */
public final class Inventory implements Domain {

  public static final String NAME = "inventory";
  public static final String WORK_PATH = "/reservations";

  /** A sku the inventory starts with: {@code received} units on hand, sold at {@code price} each. */
  public record SkuSeed(String sku, long received, long price) {
    public SkuSeed {
      if (sku.isBlank() || sku.length() > Params.MAX_TEXT || received < 0 || price < 1) {
        throw new IllegalArgumentException("a sku needs a name of 1.." + Params.MAX_TEXT
            + " characters, a stock of 0 or more and a price of 1 or more: " + sku + ":" + received + ":" + price);
      }
    }
  }

  private static final Seeds.Format SEED = new Seeds.Format("inventory.skus", "sku:stock:price",
      "stock and price must be numbers", "sku");

  private final List<SkuSeed> seed;

  public Inventory(List<SkuSeed> seed) {
    this.seed = List.copyOf(seed);
  }

  /** {@code WIDGET:20:25,GADGET:6:40}: sku, units in stock, price; names unique. */
  public static List<SkuSeed> parseSeed(String text) {
    return Seeds.parse(text, SEED, parts -> new SkuSeed(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2])),
        SkuSeed::sku);
  }

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
      s.execute("CREATE TABLE IF NOT EXISTS sku (sku VARCHAR(64) PRIMARY KEY, price BIGINT NOT NULL CHECK (price > 0),"
          + " stock BIGINT NOT NULL CHECK (stock >= 0), received BIGINT NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS reservation (order_id VARCHAR(64) PRIMARY KEY,"
          + " sku VARCHAR(64) NOT NULL REFERENCES sku (sku), qty BIGINT NOT NULL CHECK (qty > 0))");
    }
    if (!Sql.isEmpty(c, "sku")) {
      return;
    }
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO sku (sku, price, stock, received) VALUES (?, ?, ?, ?)")) {
      for (SkuSeed sku : seed) {
        insert.setString(1, sku.sku());
        insert.setLong(2, sku.price());
        insert.setLong(3, sku.received());
        insert.setLong(4, sku.received());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  @Override
  public SqlWork<JsonObject> work(Params params) {
    String order = params.id("order");
    String sku = params.id("sku");
    long qty = params.positive("qty");
    return c -> reserve(c, order, sku, qty);
  }

  /** Inside the order's branch: takes {@code qty} units off the stock and records the reservation, or refuses. */
  static JsonObject reserve(Connection c, String order, String sku, long qty) throws SQLException {
    try (PreparedStatement take = c.prepareStatement("UPDATE sku SET stock = stock - ? WHERE sku = ? AND stock >= ?")) {
      take.setLong(1, qty);
      take.setString(2, sku);
      take.setLong(3, qty);
      if (take.executeUpdate() != 1) {
        Long left = Sql.queryLong(c, "SELECT stock FROM sku WHERE sku = ?", sku);
        throw left == null ? Refusal.notFound(Refusal.UNKNOWN_SKU, "no sku " + sku)
            : Refusal.conflict(Refusal.OUT_OF_STOCK, sku + " has " + left + " left, order " + order + " wants " + qty);
      }
    }
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO reservation (order_id, sku, qty) VALUES (?, ?, ?)")) {
      insert.setString(1, order);
      insert.setString(2, sku);
      insert.setLong(3, qty);
      Sql.insert(insert, () -> Refusal.conflict(Refusal.DUPLICATE_ORDER, "order " + order + " is already reserved"));
    }
    return new JsonObject().put("order", order).put("sku", sku).put("qty", qty);
  }

  @Override
  public JsonObject state(Connection c) throws SQLException {
    JsonArray skus = new JsonArray();
    JsonArray reservations = new JsonArray();
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT sku, price, stock, received FROM sku ORDER BY sku")) {
        while (rs.next()) {
          skus.add(new JsonObject().put("sku", rs.getString(1)).put("price", rs.getLong(2))
              .put("stock", rs.getLong(3)).put("received", rs.getLong(4)));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT order_id, sku, qty FROM reservation ORDER BY order_id")) {
        while (rs.next()) {
          reservations.add(new JsonObject().put("order", rs.getString(1)).put("sku", rs.getString(2))
              .put("qty", rs.getLong(3)));
        }
      }
    }
    return new JsonObject().put("skus", skus).put("reservations", reservations);
  }
}
