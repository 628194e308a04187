package io.pledge.bench.participant;

import io.micrometer.core.instrument.MeterRegistry;
import io.pledge.common.durable.Durability;
import io.pledge.common.durable.DurableStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;

/**
 * A participant's data: counter rows in its own group-committed H2 file ({@link DurableStore}), so that every
 * variant of the benchmark (2PC, no coordinator, Narayana) pays for durability through the same writer.
 *
 * <p>Threading: every method may be called from any thread and never blocks; futures complete on the store's
 * writer thread.
 */
public final class KvStore implements AutoCloseable {

  private final DurableStore store;

  private KvStore(DurableStore store) {
    this.store = store;
  }

  /** Opens (creating if needed) {@code dir/name}. Blocks: call it on a worker. */
  public static KvStore open(Path dir, String name, MeterRegistry registry) throws SQLException {
    return new KvStore(DurableStore.open(dir.resolve(name), name, "classpath:db/bench-kv", 1024,
        DurableStore.DEFAULT_COMMIT_DELAY, registry));
  }

  /** Adds {@code delta} to the counter {@code key} (created at zero), as durable as asked. */
  public CompletableFuture<Void> add(String key, long delta, Durability durability) {
    return store.submit(durability, c -> {
      apply(c, key, delta);
      return null;
    });
  }

  /** The counter's committed value (0 for a counter never written). */
  public CompletableFuture<Long> read(String key) {
    return store.submit(Durability.NONE, c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT v FROM counter WHERE k = ?")) {
        select.setString(1, key);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      }
    });
  }

  /** Forces a prepared delta for {@code tx}: what an XA resource's prepare must make durable. */
  public CompletableFuture<Void> prepare(String tx, String key, long delta) {
    return store.submit(Durability.FORCED, c -> {
      try (PreparedStatement insert = c.prepareStatement("MERGE INTO prepared KEY(tx) VALUES (?, ?, ?)")) {
        insert.setString(1, tx);
        insert.setString(2, key);
        insert.setLong(3, delta);
        insert.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Applies and forgets the prepared delta of {@code tx} (nothing if there is none: commit is idempotent). Written,
   * not forced: the prepared record is already durable, so a lost commit is found again at recovery.
   */
  public CompletableFuture<Void> commitPrepared(String tx) {
    return store.submit(Durability.WRITTEN, c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT k, delta FROM prepared WHERE tx = ?")) {
        select.setString(1, tx);
        try (ResultSet rs = select.executeQuery()) {
          if (rs.next()) {
            apply(c, rs.getString(1), rs.getLong(2));
          }
        }
      }
      forget(c, tx);
      return null;
    });
  }

  /** Drops the prepared delta of {@code tx}, if any. */
  public CompletableFuture<Void> rollbackPrepared(String tx) {
    return store.submit(Durability.WRITTEN, c -> {
      forget(c, tx);
      return null;
    });
  }

  private static void apply(Connection c, String key, long delta) throws SQLException {
    try (PreparedStatement update = c.prepareStatement("UPDATE counter SET v = v + ? WHERE k = ?")) {
      update.setLong(1, delta);
      update.setString(2, key);
      if (update.executeUpdate() == 1) {
        return;
      }
    }
    // The writer thread is the only one writing: no other insert of this key can race this one.
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO counter (k, v) VALUES (?, ?)")) {
      insert.setString(1, key);
      insert.setLong(2, delta);
      insert.executeUpdate();
    }
  }

  private static void forget(Connection c, String tx) throws SQLException {
    try (PreparedStatement delete = c.prepareStatement("DELETE FROM prepared WHERE tx = ?")) {
      delete.setString(1, tx);
      delete.executeUpdate();
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
