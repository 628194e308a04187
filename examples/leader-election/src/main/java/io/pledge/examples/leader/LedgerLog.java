package io.pledge.examples.leader;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger's H2 file: the append-only {@code entry} table, whose largest token is the highest token ever accepted
 * (stored in the same row as the data it admitted, so it survives a restart), and the {@code rejection} table.
 *
 * <p>Blocking JDBC on one connection: call it from one thread at a time (the ledger's single writer thread).
 * {@code WRITE_DELAY=0}: a committed row reaches the file before the writer is answered (it survives {@code kill -9}
 * of the ledger; not a power loss, which would need a sync, see TOOLCHAIN.md).
 */
final class LedgerLog implements AutoCloseable {

  private final Connection connection;

  private LedgerLog(Connection connection) {
    this.connection = connection;
  }

  static LedgerLog open(Path dir) throws SQLException {
    // Before H2 opens it: H2's quick crash recovery may reopen an older version (see H2Recovery).
    io.pledge.common.durable.H2Recovery.recover(dir.resolve("ledger"));
    String url = "jdbc:h2:file:" + dir.resolve("ledger").toAbsolutePath() + ";WRITE_DELAY=0";
    Connection c = DriverManager.getConnection(url, "sa", "");
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS entry (idx BIGINT AUTO_INCREMENT PRIMARY KEY, writer VARCHAR(64) NOT NULL,"
          + " token BIGINT NOT NULL, seq BIGINT NOT NULL, text VARCHAR(128) NOT NULL, written_at BIGINT NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS rejection (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
          + " writer VARCHAR(64) NOT NULL, token BIGINT NOT NULL, seq BIGINT NOT NULL, highest BIGINT NOT NULL,"
          + " at_ms BIGINT NOT NULL)");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return new LedgerLog(c);
  }

  /** The highest token of any accepted entry, 0 for an empty ledger. */
  long highestToken() throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(token), 0) FROM entry")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  Entry append(Write w, long nowMs) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "INSERT INTO entry (writer, token, seq, text, written_at) VALUES (?, ?, ?, ?, ?)",
        Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, w.writer());
      ps.setLong(2, w.token());
      ps.setLong(3, w.seq());
      ps.setString(4, w.text());
      ps.setLong(5, nowMs);
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        return new Entry(keys.getLong(1), w.writer(), w.token(), w.seq(), nowMs);
      }
    }
  }

  void reject(Rejection r) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "INSERT INTO rejection (writer, token, seq, highest, at_ms) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, r.writer());
      ps.setLong(2, r.token());
      ps.setLong(3, r.seq());
      ps.setLong(4, r.highest());
      ps.setLong(5, r.atMs());
      ps.executeUpdate();
    }
  }

  List<Entry> entries() throws SQLException {
    List<Entry> out = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT idx, writer, token, seq, written_at FROM entry ORDER BY idx")) {
      while (rs.next()) {
        out.add(new Entry(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
      }
    }
    return out;
  }

  List<Rejection> rejections() throws SQLException {
    List<Rejection> out = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT writer, token, seq, highest, at_ms FROM rejection ORDER BY id")) {
      while (rs.next()) {
        out.add(new Rejection(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
