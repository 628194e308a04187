package io.pledge.participant.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real PostgreSQL server (the binaries ship as a Maven artifact), started by the test on its own data directory
 * and port, so that it can be stopped and started again on the same data (a database restart under running
 * participants). Prepared transactions are enabled unless the test says otherwise.
 */
public final class Postgres implements AutoCloseable {

  public static final String SUPERUSER = "postgres";

  private final Path dataDir;
  private final int port;
  private final Map<String, String> config;
  private EmbeddedPostgres server;

  private Postgres(Path dataDir, int port, Map<String, String> config) {
    this.dataDir = dataDir;
    this.port = port;
    this.config = config;
  }

  /** Starts a fresh server in {@code dataDir} with {@code max_prepared_transactions = 64} and {@code extra}. */
  public static Postgres start(Path dataDir, Map<String, String> extra) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("max_prepared_transactions", "64");
    config.put("max_connections", "200");
    config.putAll(extra);
    Postgres pg = new Postgres(dataDir, freePort(), config);
    pg.boot();
    return pg;
  }

  /** Initialises the data directory on the first start only; never deletes it (a restart must find its data). */
  private void boot() {
    try {
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(dataDir)
          .setCleanDataDirectory(false).setPort(port);
      config.forEach(builder::setServerConfig);
      server = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server (fast shutdown: connections are cut, prepared transactions stay) and starts it again. */
  public void restart() {
    stop();
    boot();
  }

  public void stop() {
    try {
      // Closing with a kept data directory leaves the files in place for the next start.
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void startAgain() {
    boot();
  }

  public int port() {
    return port;
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public Connection superuser() throws SQLException {
    return DriverManager.getConnection(url("postgres"), SUPERUSER, "postgres");
  }

  /** Runs statements as the superuser. */
  public void exec(String... sql) throws SQLException {
    try (Connection c = superuser(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  public long queryLong(String sql) throws SQLException {
    try (Connection c = superuser(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Transactions the server holds prepared, of every role (what pgjdbc's recover() does not show). */
  public long prepared() throws SQLException {
    return queryLong("SELECT COUNT(*) FROM pg_prepared_xacts");
  }

  @Override
  public void close() {
    if (server != null) {
      try {
        server.close();
      } catch (IOException ignored) {
        // the test is over
      }
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
