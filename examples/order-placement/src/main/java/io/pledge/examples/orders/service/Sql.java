package io.pledge.examples.orders.service;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Supplier;
import org.h2.api.ErrorCode;

/** Small JDBC helpers the domains share. Blocking: workers only. */
public final class Sql {

  private Sql() {}

  /** Whether the table has no rows (seed data goes only into an empty table). */
  public static boolean isEmpty(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1) == 0;
    }
  }

  /** Runs an INSERT; a duplicate primary key becomes {@code duplicate}. */
  public static void insert(PreparedStatement insert, Supplier<Refusal> duplicate) throws SQLException {
    try {
      insert.executeUpdate();
    } catch (SQLException e) {
      if (e.getErrorCode() == ErrorCode.DUPLICATE_KEY_1) {
        throw duplicate.get();
      }
      throw e;
    }
  }

  /** The single {@code long} a query returns, or null when it returns no row. */
  public static Long queryLong(Connection c, String sql, String param) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(sql)) {
      q.setString(1, param);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }
}
