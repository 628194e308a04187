package io.pledge.examples.orders.payments;

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
 * The wallets: {@code wallet(customer, balance, deposited)} and one {@code payment(order_id, customer, amount)} per
 * order. A payment is debited from the balance, so {@code balance + paid = deposited} for every customer, and the
 * database itself refuses a negative balance ({@code CHECK}).
 */
public final class Payments implements Domain {

  public static final String NAME = "payments";
  public static final String WORK_PATH = "/payments";

  /** A wallet the service starts with. */
  public record WalletSeed(String customer, long deposited) {
    public WalletSeed {
      if (customer.isBlank() || customer.length() > Params.MAX_TEXT || deposited < 0) {
        throw new IllegalArgumentException("a wallet needs a customer of 1.." + Params.MAX_TEXT
            + " characters and a balance of 0 or more: " + customer + ":" + deposited);
      }
    }
  }

  private static final Seeds.Format SEED = new Seeds.Format("payments.wallets", "customer:balance",
      "the balance must be a number", "wallet");

  private final List<WalletSeed> seed;

  public Payments(List<WalletSeed> seed) {
    this.seed = List.copyOf(seed);
  }

  /** {@code alice:2000,bob:600}: customer and balance; customers unique. */
  public static List<WalletSeed> parseSeed(String text) {
    return Seeds.parse(text, SEED, parts -> new WalletSeed(parts[0], Long.parseLong(parts[1])), WalletSeed::customer);
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
      s.execute("CREATE TABLE IF NOT EXISTS wallet (customer VARCHAR(64) PRIMARY KEY,"
          + " balance BIGINT NOT NULL CHECK (balance >= 0), deposited BIGINT NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS payment (order_id VARCHAR(64) PRIMARY KEY,"
          + " customer VARCHAR(64) NOT NULL REFERENCES wallet (customer), amount BIGINT NOT NULL CHECK (amount > 0))");
    }
    if (!Sql.isEmpty(c, "wallet")) {
      return;
    }
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO wallet (customer, balance, deposited) VALUES (?, ?, ?)")) {
      for (WalletSeed wallet : seed) {
        insert.setString(1, wallet.customer());
        insert.setLong(2, wallet.deposited());
        insert.setLong(3, wallet.deposited());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  @Override
  public SqlWork<JsonObject> work(Params params) {
    String order = params.id("order");
    String customer = params.id("customer");
    long amount = params.positive("amount");
    return c -> pay(c, order, customer, amount);
  }

  /** Inside the order's branch: debits the customer's wallet and records the payment, or refuses. */
  static JsonObject pay(Connection c, String order, String customer, long amount) throws SQLException {
    try (PreparedStatement debit =
        c.prepareStatement("UPDATE wallet SET balance = balance - ? WHERE customer = ? AND balance >= ?")) {
      debit.setLong(1, amount);
      debit.setString(2, customer);
      debit.setLong(3, amount);
      if (debit.executeUpdate() != 1) {
        Long balance = Sql.queryLong(c, "SELECT balance FROM wallet WHERE customer = ?", customer);
        throw balance == null ? Refusal.notFound(Refusal.UNKNOWN_CUSTOMER, "no wallet for " + customer)
            : Refusal.conflict(Refusal.INSUFFICIENT_FUNDS, customer + " has " + balance + ", order " + order
                + " costs " + amount);
      }
    }
    try (PreparedStatement insert =
        c.prepareStatement("INSERT INTO payment (order_id, customer, amount) VALUES (?, ?, ?)")) {
      insert.setString(1, order);
      insert.setString(2, customer);
      insert.setLong(3, amount);
      Sql.insert(insert, () -> Refusal.conflict(Refusal.DUPLICATE_ORDER, "order " + order + " is already paid"));
    }
    return new JsonObject().put("order", order).put("customer", customer).put("amount", amount);
  }

  @Override
  public JsonObject state(Connection c) throws SQLException {
    JsonArray wallets = new JsonArray();
    JsonArray payments = new JsonArray();
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT customer, balance, deposited FROM wallet ORDER BY customer")) {
        while (rs.next()) {
          wallets.add(new JsonObject().put("customer", rs.getString(1)).put("balance", rs.getLong(2))
              .put("deposited", rs.getLong(3)));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT order_id, customer, amount FROM payment ORDER BY order_id")) {
        while (rs.next()) {
          payments.add(new JsonObject().put("order", rs.getString(1)).put("customer", rs.getString(2))
              .put("amount", rs.getLong(3)));
        }
      }
    }
    return new JsonObject().put("wallets", wallets).put("payments", payments);
  }
}
