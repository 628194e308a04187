package io.pledge.examples.bank;

import io.pledge.participant.xa.XaPool;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.sql.XADataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.xa.PGXADataSource;

/**
 * Where a bank keeps its accounts ({@code --db}): an H2 file, an embedded PostgreSQL in the bank's data directory,
 * or a PostgreSQL server given by URL. The XA connections come from {@link XaPool} in every case.
 */
final class BankDatabase implements AutoCloseable {

  final String url;
  final String user;
  final String password;
  private final Class<? extends XADataSource> xaDataSource;
  private final EmbeddedPostgres embedded;

  private BankDatabase(String url, String user, String password, Class<? extends XADataSource> xaDataSource,
      EmbeddedPostgres embedded) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.xaDataSource = xaDataSource;
    this.embedded = embedded;
  }

  /** Blocking (starts a server for {@code postgres}): call on a worker. */
  static BankDatabase open(BankOptions options) throws IOException {
    Path dataDir = options.participant().dataDir();
    if (options.db().equals("h2")) {
      // Before H2 opens it: H2's quick crash recovery may reopen an older version (see H2Recovery).
      io.pledge.common.durable.H2Recovery.recover(dataDir.resolve("accounts"));
      // WRITE_DELAY=0: a prepared XA branch reaches the file before the yes vote leaves (survives kill -9).
      return new BankDatabase("jdbc:h2:file:" + dataDir.resolve("accounts").toAbsolutePath() + ";WRITE_DELAY=0",
          "sa", "", JdbcDataSource.class, null);
    }
    if (options.db().equals("postgres")) {
      // For trying PostgreSQL without installing it. The server is this JVM's child: after a kill -9 of the bank
      // it must be stopped by hand before the bank starts again; crash drills want a server given by URL.
      EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres"))
          .setCleanDataDirectory(false).setServerConfig("max_prepared_transactions", "64").start();
      return new BankDatabase(pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres", PGXADataSource.class,
          pg);
    }
    return new BankDatabase(options.db(), options.dbUser(), options.dbPassword(), PGXADataSource.class, null);
  }

  XaPool pool(int size) {
    return XaPool.create(new XaPool.Settings(xaDataSource, url, user, password, size, Duration.ofSeconds(10),
        Map.of()));
  }

  @Override
  public void close() {
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException ignored) {
        // shutting down anyway
      }
    }
  }
}
