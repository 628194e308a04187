package io.pledge.examples.bank;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The bank's JDBC: blocking, so called only on a worker (the XA adapter's pool or {@code executeBlocking}). */
final class Accounts {

  /** The account does not exist: the request is wrong, not the balance. */
  static final class UnknownAccount extends SQLException {
    UnknownAccount(int account) {
      super("no account " + account);
    }
  }

  /** The balance is short: the work fails, the branch changes nothing, the client rolls back. */
  static final class InsufficientFunds extends SQLException {
    InsufficientFunds(int account, long amount) {
      super("insufficient funds: account " + account + " cannot pay " + amount);
    }
  }

  private final String url;
  private final String user;
  private final String password;

  Accounts(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /** Creates the table, and {@code count} accounts only when it is empty (a restart keeps the balances). */
  void create(int count, long balance) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS account (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM account")) {
        rs.next();
        if (rs.getInt(1) > 0) {
          return;
        }
      }
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO account (id, balance) VALUES (?, ?)")) {
        for (int id = 0; id < count; id++) {
          insert.setInt(1, id);
          insert.setLong(2, balance);
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
  }

  /** Inside an XA branch: takes {@code amount} from the account, or fails without changing anything. */
  Integer debit(Connection c, int account, long amount) throws SQLException {
    try (PreparedStatement update =
        c.prepareStatement("UPDATE account SET balance = balance - ? WHERE id = ? AND balance >= ?")) {
      update.setLong(1, amount);
      update.setInt(2, account);
      update.setLong(3, amount);
      if (update.executeUpdate() == 1) {
        return 1;
      }
    }
    throw exists(c, account) ? new InsufficientFunds(account, amount) : new UnknownAccount(account);
  }

  /** Inside an XA branch: adds {@code amount} to the account. */
  Integer credit(Connection c, int account, long amount) throws SQLException {
    try (PreparedStatement update = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
      update.setLong(1, amount);
      update.setInt(2, account);
      if (update.executeUpdate() == 1) {
        return 1;
      }
    }
    throw new UnknownAccount(account);
  }

  /** The committed total (read outside any branch). */
  long total() throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(balance), 0) FROM account")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Every account's committed balance (read outside any branch), by account id. */
  java.util.SortedMap<Integer, Long> balances() throws SQLException {
    java.util.SortedMap<Integer, Long> out = new java.util.TreeMap<>();
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, balance FROM account ORDER BY id")) {
      while (rs.next()) {
        out.put(rs.getInt(1), rs.getLong(2));
      }
    }
    return out;
  }

  private static boolean exists(Connection c, int account) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM account WHERE id = ?")) {
      q.setInt(1, account);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }
}
