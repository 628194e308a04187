package io.pledge.coordinator.log;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;

/**
 * A coordinator log in the form it had before one row per transaction (issue 16): the schema through
 * {@code target} (V2: participants as {@code tx_participant} rows, with the operator's resolution), written with
 * plain SQL as that coordinator wrote it.
 */
final class OldLogFixture implements AutoCloseable {

  private final Connection c;

  private OldLogFixture(Connection c) {
    this.c = c;
  }

  /** Creates {@code dataDir/coordinator-log.mv.db} migrated only through {@code target} (e.g. "2" or "4"). */
  static OldLogFixture create(Path dataDir, String target) throws SQLException {
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("coordinator-log");
    Flyway.configure().dataSource(url, "sa", "").locations("classpath:db/coordinator").target(target).load()
        .migrate();
    return new OldLogFixture(DriverManager.getConnection(url, "sa", ""));
  }

  OldLogFixture epoch(long epoch) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE coordinator_meta SET meta_value = " + epoch + " WHERE meta_key = 'epoch'");
    }
    return this;
  }

  /** A {@code tx} row with the V1 columns. */
  OldLogFixture tx(String txId, long epoch, String state, long deadline, long updatedAt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO tx (tx_id, epoch, state, one_phase, deadline_at,"
        + " updated_at) VALUES (?, ?, ?, FALSE, ?, ?)")) {
      ps.setString(1, txId);
      ps.setLong(2, epoch);
      ps.setString(3, state);
      ps.setLong(4, deadline);
      ps.setLong(5, updatedAt);
      ps.executeUpdate();
    }
    return this;
  }

  /** A {@code tx_participant} row; {@code resolution} null or FORGOTTEN. */
  OldLogFixture participant(String txId, String id, String endpoint, String resolution) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO tx_participant (tx_id, participant_id, endpoint, resolution) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, txId);
      ps.setString(2, id);
      ps.setString(3, endpoint);
      ps.setString(4, resolution);
      ps.executeUpdate();
    }
    return this;
  }

  @Override
  public void close() throws SQLException {
    c.close();
  }
}
