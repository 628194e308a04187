package io.pledge.participant.xa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.participant.spi.Vote;
import io.pledge.participant.support.Postgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.xa.PGXADataSource;

/**
 * The XA adapter against a real PostgreSQL (pgjdbc's {@code PGXADataSource} through the Agroal pool): read-only
 * branches, a rotated role, a database restart, a lock wait that must not hold a rollback, connection reuse, and
 * the start-up check.
 */
class PostgresXaTest {

  @TempDir
  static Path dir;

  private static Postgres pg;
  private Vertx vertx;
  private XaResourceManager xa;

  @BeforeAll
  static void startDatabase() throws Exception {
    pg = Postgres.start(dir.resolve("pg"), Map.of());
    pg.exec("CREATE ROLE app_v1 LOGIN PASSWORD 'app_v1'", "CREATE ROLE app_v2 LOGIN PASSWORD 'app_v2'",
        "CREATE TABLE account (id INT PRIMARY KEY, balance BIGINT NOT NULL)",
        "INSERT INTO account SELECT g, 1000 FROM generate_series(0, 9) g",
        "GRANT SELECT, UPDATE ON account TO app_v1, app_v2");
  }

  @AfterAll
  static void stopDatabase() {
    pg.close();
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    xa = manager("app_v1", 8);
  }

  @AfterEach
  void tearDown() throws Exception {
    xa.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private XaResourceManager manager(String role, int poolSize) {
    XaPool pool = XaPool.create(new XaPool.Settings(PGXADataSource.class, pg.url("postgres"), role, role, poolSize,
        Duration.ofSeconds(5), Map.of()));
    return XaResourceManager.create(vertx, pool, "bank", 4);
  }

  private static String tx() {
    return "pg-" + UUID.randomUUID();
  }

  private Future<Integer> add(XaResourceManager rm, String txId, int account, long amount) {
    return rm.work(txId, c -> {
      try (var s = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
        s.setLong(1, amount);
        s.setInt(2, account);
        return s.executeUpdate();
      }
    });
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static long balance(int account) throws Exception {
    return pg.queryLong("SELECT balance FROM account WHERE id = " + account);
  }

  @Test
  void aReadOnlyBranchVotesReadOnlyAndLeavesNothingPrepared() throws Exception {
    String tx = tx();
    long seen = await(xa.work(tx, c -> {
      try (var s = c.createStatement(); var rs = s.executeQuery("SELECT SUM(balance) FROM account")) {
        rs.next();
        return rs.getLong(1);
      }
    }));
    assertTrue(seen > 0);
    assertEquals(Vote.Kind.READ_ONLY, await(xa.prepare(tx)).kind());
    assertEquals(0, pg.prepared(), "a read-only branch must not stay prepared in PostgreSQL");
    assertEquals(0, xa.openBranches());

    String writer = tx();
    await(add(xa, writer, 0, 5));
    assertEquals(Vote.Kind.YES, await(xa.prepare(writer)).kind(), "a branch that wrote prepares");
    assertEquals(1, pg.prepared());
    await(xa.commit(writer));
    assertEquals(0, pg.prepared());
  }

  @Test
  void aCommitThroughARotatedRoleIsNotReportedDoneUntilTheDatabaseDidIt() throws Exception {
    long before = balance(1);
    String tx = tx();
    await(add(xa, tx, 1, 7));
    assertEquals(Vote.Kind.YES, await(xa.prepare(tx)).kind());
    xa.close(); // as a crash would: the branch stays prepared, as app_v1

    xa = manager("app_v2", 4); // the restarted service runs with rotated credentials
    assertEquals(Set.of(), await(xa.recover()), "pgjdbc lists only the connecting role's branches");
    Exception refused = assertThrows(Exception.class, () -> await(xa.commit(tx)));
    assertTrue(refused.getMessage().contains("permission denied"), "the database's reason: " + refused.getMessage());
    assertEquals(1, pg.prepared(), "still prepared, and reported as not done");
    assertEquals(before, balance(1));

    pg.exec("GRANT app_v1 TO app_v2", "ALTER ROLE app_v2 SUPERUSER"); // the operator fixes the credentials
    try {
      await(xa.commit(tx));
      assertEquals(0, pg.prepared());
      assertEquals(before + 7, balance(1));
      await(xa.commit(tx)); // again: the database says "no such branch", which is its answer that it is done
    } finally {
      pg.exec("ALTER ROLE app_v2 NOSUPERUSER");
    }
  }

  @Test
  void aDatabaseRestartDoesNotWedgeTheBranches() throws Exception {
    long before2 = balance(2);
    long before3 = balance(3);
    String prepared = tx();
    await(add(xa, prepared, 2, 11));
    assertEquals(Vote.Kind.YES, await(xa.prepare(prepared)).kind());
    String active = tx();
    await(add(xa, active, 3, 13));

    pg.restart(); // fast shutdown: every connection is cut; the prepared transaction survives

    await(xa.commit(prepared)); // on a fresh connection, by Xid
    Vote vote = await(xa.prepare(active)); // its connection died with the server, and its work with it
    assertEquals(Vote.Kind.NO, vote.kind());
    assertEquals(0, pg.prepared());
    assertEquals(before2 + 11, balance(2));
    assertEquals(before3, balance(3));

    String after = tx(); // and the pool serves new branches on new connections
    await(add(xa, after, 3, 1));
    assertEquals(Vote.Kind.YES, await(xa.prepare(after)).kind());
    await(xa.commit(after));
    assertEquals(before3 + 1, balance(3));
  }

  @Test
  void aRollbackDoesNotWaitBehindWorkBlockedOnARowLock() throws Exception {
    long before = balance(4);
    String holder = tx();
    await(add(xa, holder, 4, 100)); // holds account 4's row lock
    String waiter = tx();
    Future<Integer> blocked = add(xa, waiter, 4, 1); // waits on the row lock (lock_timeout 0: forever)
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        pg.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == 1);

    long start = System.nanoTime();
    await(xa.rollback(waiter));
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the rollback did not wait for the lock");
    boolean workFailed = await(blocked.transform(ar -> Future.succeededFuture(ar.failed())));
    assertTrue(workFailed, "the blocked work ended with its aborted connection");

    await(xa.prepare(holder));
    await(xa.commit(holder));
    assertEquals(before + 100, balance(4));
    assertEquals(0, pg.prepared());
  }

  @Test
  void branchesReuseThePoolsConnections() throws Exception {
    long opened = xa.connectionsOpened();
    for (int i = 0; i < 100; i++) {
      String tx = tx();
      await(add(xa, tx, 5, 1));
      assertEquals(Vote.Kind.YES, await(xa.prepare(tx)).kind());
      await(xa.commit(tx));
    }
    long perHundred = xa.connectionsOpened() - opened;
    assertTrue(perHundred <= 3, "100 transactions opened " + perHundred + " physical connections");
  }

  @Test
  void theStartupCheckPassesAndFailsWithTheDatabasesReason() throws Exception {
    await(xa.startupCheck());
    assertEquals(0, pg.prepared(), "the probe leaves nothing prepared");

    try (Postgres disabled = Postgres.start(dir.resolve("pg-no-2pc"), Map.of("max_prepared_transactions", "0"))) {
      XaPool pool = XaPool.create(new XaPool.Settings(PGXADataSource.class, disabled.url("postgres"),
          Postgres.SUPERUSER, "postgres", 4, Duration.ofSeconds(5), Map.of()));
      try (XaResourceManager rm = XaResourceManager.create(vertx, pool, "bank", 2)) {
        Exception e = assertThrows(Exception.class, () -> await(rm.startupCheck()));
        assertTrue(e.getMessage().contains("prepared transactions are disabled"), e.getMessage());
        assertTrue(e.getMessage().contains("max_prepared_transactions"), e.getMessage());
      }
    }
  }
}
