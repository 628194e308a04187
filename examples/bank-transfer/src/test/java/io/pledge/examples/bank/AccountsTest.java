package io.pledge.examples.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bank's SQL: a short balance or an unknown account fails without changing anything. */
class AccountsTest {

  @TempDir
  Path dir;

  private String url;
  private Accounts accounts;

  @BeforeEach
  void create() throws Exception {
    url = "jdbc:h2:file:" + dir.resolve("accounts").toAbsolutePath();
    accounts = new Accounts(url, "sa", "");
    accounts.create(3, 100);
  }

  @Test
  void createSeedsOnlyAnEmptyTable() throws Exception {
    accounts.create(5, 999);
    assertEquals(300, accounts.total());
  }

  @Test
  void debitAndCreditMoveMoney() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      accounts.debit(c, 0, 40);
      accounts.credit(c, 1, 40);
    }
    assertEquals(300, accounts.total());
  }

  @Test
  void aShortBalanceIsRefusedAndChangesNothing() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      assertThrows(Accounts.InsufficientFunds.class, () -> accounts.debit(c, 0, 101));
      accounts.debit(c, 0, 100);
    }
    assertEquals(200, accounts.total());
  }

  @Test
  void anUnknownAccountIsNotAShortBalance() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      assertThrows(Accounts.UnknownAccount.class, () -> accounts.debit(c, 7, 1));
      assertThrows(Accounts.UnknownAccount.class, () -> accounts.credit(c, 7, 1));
    }
    assertEquals(300, accounts.total());
  }
}
