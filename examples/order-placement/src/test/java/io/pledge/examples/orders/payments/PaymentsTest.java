package io.pledge.examples.orders.payments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pledge.examples.orders.service.Refusal;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The payments' SQL on a real H2 file; each call runs in a transaction rolled back on failure, as in a branch. */
class PaymentsTest {

  @TempDir
  Path dir;

  private String url;
  private final Payments payments = new Payments(Payments.parseSeed("alice:100,bob:10"));

  @BeforeEach
  void create() throws Exception {
    url = "jdbc:h2:file:" + dir.resolve("payments").toAbsolutePath();
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      payments.create(c);
    }
  }

  private void inBranch(String order, String customer, long amount) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      c.setAutoCommit(false);
      try {
        Payments.pay(c, order, customer, amount);
        c.commit();
      } catch (Exception e) {
        c.rollback();
        throw e;
      }
    }
  }

  private long balance(String customer) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      return payments.state(c).getJsonArray("wallets").stream().map(JsonObject.class::cast)
          .filter(o -> o.getString("customer").equals(customer)).findFirst().orElseThrow().getLong("balance");
    }
  }

  @Test
  void aPaymentDebitsTheWallet() throws Exception {
    inBranch("o-1", "alice", 60);
    assertEquals(40, balance("alice"));
  }

  @Test
  void aShortWalletIsRefusedAndNothingChanges() throws Exception {
    Refusal r = assertThrows(Refusal.class, () -> inBranch("o-1", "bob", 11));
    assertEquals(Refusal.INSUFFICIENT_FUNDS, r.code());
    assertEquals("bob has 10, order o-1 costs 11", r.getMessage());
    assertEquals(10, balance("bob"));
  }

  @Test
  void anUnknownCustomerAndADuplicateOrderAreRefused() throws Exception {
    Refusal unknown = assertThrows(Refusal.class, () -> inBranch("o-1", "zoe", 1));
    assertEquals(Refusal.UNKNOWN_CUSTOMER, unknown.code());
    assertEquals(404, unknown.httpStatus());
    inBranch("o-1", "alice", 1);
    assertEquals(Refusal.DUPLICATE_ORDER, assertThrows(Refusal.class, () -> inBranch("o-1", "alice", 1)).code());
    assertEquals(99, balance("alice"));
  }

  @Test
  void seedsAreParsedStrictly() {
    assertEquals(List.of(new Payments.WalletSeed("a", 5)), Payments.parseSeed("a:5"));
    assertThrows(IllegalArgumentException.class, () -> Payments.parseSeed("a"));
    assertThrows(IllegalArgumentException.class, () -> Payments.parseSeed("a:-1"));
    assertThrows(IllegalArgumentException.class, () -> Payments.parseSeed("a:1,a:2"));
  }
}
