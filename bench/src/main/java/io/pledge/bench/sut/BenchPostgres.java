package io.pledge.bench.sut;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * The PostgreSQL server of the {@code 2p-postgres} scenario: a real server (the binaries ship as a Maven artifact)
 * in the scenario's directory, prepared transactions enabled, one database per participant. What it measures of
 * itself: sessions opened per database ({@code pg_stat_database.sessions}, PostgreSQL 14+), which is the
 * database's own count of the connections a transaction cost; and the CPU of all its processes (postmaster and
 * backends), which no node accounts for.
 */
public final class BenchPostgres implements AutoCloseable {

  /** Above the participants' pools together (two of 72) plus the harness's own queries. */
  static final int MAX_CONNECTIONS = 200;

  private final EmbeddedPostgres server;
  private final Path dataDir;

  private BenchPostgres(EmbeddedPostgres server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  /** Starts a fresh server in {@code dir} with a database for each of {@code databases}. Blocking. */
  public static BenchPostgres start(Path dir, List<String> databases) throws IOException, SQLException {
    Path data = Files.createDirectories(dir);
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(true)
        // Every branch in flight may be prepared at once: 64 clients, 2 participants.
        .setServerConfig("max_prepared_transactions", "200")
        .setServerConfig("max_connections", Integer.toString(MAX_CONNECTIONS))
        .start();
    BenchPostgres bench = new BenchPostgres(pg, data);
    try (Connection c = bench.superuser(); Statement s = c.createStatement()) {
      for (String db : databases) {
        s.execute("CREATE DATABASE \"" + db + "\"");
      }
    } catch (SQLException e) {
      bench.close();
      throw e;
    }
    return bench;
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + database;
  }

  private Connection superuser() throws SQLException {
    return DriverManager.getConnection(url("postgres"), "postgres", "postgres");
  }

  /**
   * Sessions PostgreSQL has seen opened to {@code database} so far. The statistics reach the view within about
   * half a second (the stats collector's interval): a window's delta is exact up to connections opened at its
   * very edges.
   */
  public Node.SyncCounter sessions(String database) {
    return () -> {
      try (Connection c = superuser(); PreparedStatement ps = c.prepareStatement(
          "SELECT sessions FROM pg_stat_database WHERE datname = ?")) {
        ps.setString(1, database);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? OptionalDouble.of(rs.getLong(1)) : OptionalDouble.empty();
        }
      } catch (SQLException e) {
        return OptionalDouble.empty();
      }
    };
  }

  /** CPU seconds of the postmaster and every process under it, now (from {@code /proc}). */
  public Node.SyncCounter cpuSeconds() {
    return () -> {
      try {
        long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
        return ProcessHandle.of(pid).map(pm -> {
          double total = 0;
          for (ProcessHandle p : Stream.concat(Stream.of(pm), pm.descendants()).toList()) {
            OptionalDouble cpu = ProcStats.cpuSeconds(p.pid());
            total += cpu.orElse(0);
          }
          return OptionalDouble.of(total);
        }).orElse(OptionalDouble.empty());
      } catch (IOException | RuntimeException e) {
        return OptionalDouble.empty();
      }
    };
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // the scenario is over; the directory goes with the run's data
    }
  }
}
