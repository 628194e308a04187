package io.pledge.bench.participant;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pledge.participant.xa.XaPool;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.postgresql.xa.PGXADataSource;

/**
 * The counters of a bench participant in PostgreSQL, as a service on PostgreSQL keeps its data with Pledge: every
 * transaction's work runs in an XA branch of the SDK's {@link XaResourceManager}, on connections of a bounded
 * {@link XaPool} (opened once, reused by branch after branch), and the branch prepares with PREPARE TRANSACTION.
 *
 * <p>{@value #CONNECTIONS_OPENED} on the participant's {@code /metrics} is the pool's own count of physical
 * connections opened, which the harness reads around the window beside PostgreSQL's {@code pg_stat_database}.
 */
final class PostgresCounters implements AutoCloseable {

  /** Physical XA connections the pool has opened (Agroal's creation count). */
  static final String CONNECTIONS_OPENED = "bench.xa.connections.opened";

  /**
   * Pool size: a branch holds its connection from its first work call to its phase 2, so the bench's 64 clients
   * need about 64 branches in flight per participant; the adapter keeps a few more for phase 2 and recovery.
   */
  static final int POOL_SIZE = 72;
  /** Threads running branch work (the statements): they never wait on a row lock here (every client its own row). */
  static final int WORK_THREADS = 16;

  private static final String USER = "postgres";
  private static final String PASSWORD = "postgres";

  private final XaResourceManager xa;

  private PostgresCounters(XaResourceManager xa) {
    this.xa = xa;
  }

  /** Creates the table if needed (blocking: on a worker), then the pool and the XA adapter. */
  static PostgresCounters open(Vertx vertx, String url, String participantId, MeterRegistry registry)
      throws SQLException {
    try (Connection c = DriverManager.getConnection(url, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS counters (k VARCHAR(64) PRIMARY KEY, v BIGINT NOT NULL)");
    }
    XaPool pool = XaPool.create(new XaPool.Settings(PGXADataSource.class, url, USER, PASSWORD, POOL_SIZE,
        Duration.ofSeconds(10), Map.of()));
    XaResourceManager xa = XaResourceManager.create(vertx, pool, participantId, WORK_THREADS);
    FunctionCounter.builder(CONNECTIONS_OPENED, xa, XaResourceManager::connectionsOpened)
        .description("physical XA connections opened by the participant's pool").register(registry);
    return new PostgresCounters(xa);
  }

  XaResourceManager resource() {
    return xa;
  }

  /** Adds {@code delta} to {@code key}'s counter inside the transaction's branch. */
  Future<Long> add(String txId, String key, long delta) {
    return xa.work(txId, c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO counters (k, v) VALUES (?, ?)"
          + " ON CONFLICT (k) DO UPDATE SET v = counters.v + EXCLUDED.v")) {
        ps.setString(1, key);
        ps.setLong(2, delta);
        ps.executeUpdate();
        return 0L;
      }
    });
  }

  /** Reads {@code key}'s counter inside the transaction's branch (a branch that changed nothing: read-only). */
  Future<Long> read(String txId, String key) {
    return xa.work(txId, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT v FROM counters WHERE k = ?")) {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      }
    });
  }

  @Override
  public void close() {
    xa.close();
  }
}
