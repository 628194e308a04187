package io.pledge.participant.xa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.participant.spi.Vote;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The XA adapter against H2's XA data source on a real file. */
class XaResourceManagerTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private String url;
  private XaResourceManager xa;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    url = "jdbc:h2:file:" + dir.resolve("bank").toAbsolutePath() + ";WRITE_DELAY=0";
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE account (id VARCHAR(16) PRIMARY KEY, balance BIGINT NOT NULL)");
      s.execute("INSERT INTO account VALUES ('a', 100), ('b', 100)");
    }
    xa = XaResourceManager.create(vertx, dataSource(), "bank", 4);
  }

  @AfterEach
  void tearDown() throws Exception {
    xa.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private JdbcDataSource dataSource() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL(url);
    ds.setUser("sa");
    ds.setPassword("");
    return ds;
  }

  private long balance() throws Exception {
    return balance("a");
  }

  private long balance(String id) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT balance FROM account WHERE id = '" + id + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private Future<Integer> add(String txId, long amount) {
    return add(txId, "a", amount);
  }

  private Future<Integer> add(String txId, String id, long amount) {
    return xa.work(txId, c -> {
      try (var s = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
        s.setLong(1, amount);
        s.setString(2, id);
        return s.executeUpdate();
      }
    });
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  @Test
  void preparedWorkBecomesVisibleOnlyAtCommit() throws Exception {
    await(add("tx-1", 5));
    await(add("tx-1", 5));
    assertEquals(Vote.Kind.YES, await(xa.prepare("tx-1")).kind());
    await(xa.commit("tx-1"));
    assertEquals(110, balance());
    assertEquals(0, xa.openBranches());
    await(xa.commit("tx-1"));
  }

  @Test
  void rollbackUndoesActiveAndPreparedWork() throws Exception {
    await(add("tx-1", 5));
    await(xa.rollback("tx-1"));
    await(add("tx-2", 7));
    await(xa.prepare("tx-2"));
    await(xa.rollback("tx-2"));
    await(xa.rollback("tx-never-seen"));
    assertEquals(100, balance());
  }

  @Test
  void readOnlyWhenNothingWasDone() throws Exception {
    assertEquals(Vote.Kind.READ_ONLY, await(xa.prepare("tx-empty")).kind());
    assertEquals(0, xa.openBranches());
  }

  @Test
  void workThatFailsHalfWayMakesTheBranchVoteNo() throws Exception {
    await(add("tx-1", 5));
    Exception failed = assertThrows(Exception.class, () -> await(xa.work("tx-1", c -> {
      try (var s = c.prepareStatement("UPDATE account SET balance = balance + 1 WHERE id = 'a'")) {
        s.executeUpdate(); // done, then the unit of work fails: the branch holds half of it
      }
      throw new java.sql.SQLException("constraint violated");
    })));
    assertTrue(failed.getMessage().contains("constraint violated"), failed.getMessage());
    var vote = await(xa.prepare("tx-1"));
    assertEquals(Vote.Kind.NO, vote.kind());
    assertTrue(vote.reason().contains("constraint violated"), vote.reason());
    assertEquals(100, balance(), "nothing of the branch is kept");
    assertEquals(0, xa.openBranches());
  }

  @Test
  void aBranchMarkedRollbackOnlyVotesNoEvenWithoutWork() throws Exception {
    xa.setRollbackOnly("tx-refused", "account lock not granted");
    var vote = await(xa.prepare("tx-refused"));
    assertEquals(Vote.Kind.NO, vote.kind(), "not read-only: the service refused part of the transaction");
    assertTrue(vote.reason().contains("account lock not granted"), vote.reason());
    await(add("tx-2", 3));
    xa.setRollbackOnly("tx-2", "later refusal");
    assertEquals(Vote.Kind.NO, await(xa.prepare("tx-2")).kind());
    assertEquals(100, balance());
    assertEquals(0, xa.openBranches());
  }

  @Test
  void workAfterPrepareIsRefused() throws Exception {
    await(add("tx-1", 1));
    await(xa.prepare("tx-1"));
    assertThrows(Exception.class, () -> await(add("tx-1", 1)));
    await(xa.rollback("tx-1"));
  }

  @Test
  void aPreparedBranchSurvivesACrashAndIsFoundAndCommittedByRecover() throws Exception {
    await(add("coord-0:3:17", 50));
    await(add("coord-0:3:18", "b", 70));
    await(xa.prepare("coord-0:3:17"));
    await(xa.prepare("coord-0:3:18"));
    // A crash of the database's process, as far as H2 is concerned.
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
      s.execute("SHUTDOWN IMMEDIATELY");
    } catch (java.sql.SQLException expected) {
      // the connection dies with the database
    }
    XaResourceManager restarted = XaResourceManager.create(vertx, dataSource(), "bank", 2);
    try {
      assertEquals(Set.of("coord-0:3:17", "coord-0:3:18"), await(restarted.recover()));
      assertEquals(Set.of(), await(XaResourceManager.create(vertx, dataSource(), "other", 1).recover()));
      await(restarted.commit("coord-0:3:17"));
      await(restarted.rollback("coord-0:3:18"));
      await(restarted.commit("coord-0:3:17"));
      assertEquals(150, balance());
      assertEquals(100, balance("b"));
      assertEquals(Set.of(), await(restarted.recover()), "no branch is left prepared");
    } finally {
      restarted.close();
    }
  }

  @Test
  void xidIsDeterministicAndRejectsIdsTooLongForXa() {
    PledgeXid x = new PledgeXid("coord-0:3:17", "bank");
    assertEquals(x, PledgeXid.of(x, "bank").orElseThrow());
    assertTrue(PledgeXid.of(x, "other").isEmpty());
    assertThrows(IllegalArgumentException.class, () -> new PledgeXid("x".repeat(65), "bank"));
  }
}
