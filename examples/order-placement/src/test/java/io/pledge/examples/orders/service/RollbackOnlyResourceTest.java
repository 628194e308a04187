package io.pledge.examples.orders.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pledge.participant.spi.Vote;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Over the real XA adapter and an H2 file: a marked branch votes no and its work never commits. */
class RollbackOnlyResourceTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private String url;
  private XaResourceManager xa;
  private RollbackOnlyResource resource;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    url = "jdbc:h2:file:" + dir.resolve("db").toAbsolutePath();
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id VARCHAR(16) PRIMARY KEY)");
    }
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL(url);
    ds.setUser("sa");
    xa = XaResourceManager.create(vertx, ds, "db", 2);
    resource = new RollbackOnlyResource(xa);
  }

  @AfterEach
  void close() throws Exception {
    xa.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void insert(String tx, String id) throws Exception {
    xa.work(tx, c -> {
      try (Statement s = c.createStatement()) {
        return s.executeUpdate("INSERT INTO t VALUES ('" + id + "')");
      }
    }).await(10, TimeUnit.SECONDS);
  }

  private int rows() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aMarkedBranchVotesNoWithTheRefusal() throws Exception {
    insert("tx-1", "a");
    resource.markRollbackOnly("tx-1", "inventory refused: OUT_OF_STOCK: none left");
    resource.markRollbackOnly("tx-1", "a later reason");
    Vote vote = resource.prepare("tx-1").await(10, TimeUnit.SECONDS);
    assertEquals(Vote.no("inventory refused: OUT_OF_STOCK: none left"), vote);
    // What the participant endpoint does after a no vote.
    resource.rollback("tx-1").await(10, TimeUnit.SECONDS);
    assertEquals(0, resource.marked());
    assertEquals(0, rows());
    assertEquals(0, xa.openBranches());
  }

  @Test
  void anUnmarkedBranchPreparesAndCommitsAsUsual() throws Exception {
    insert("tx-2", "b");
    assertEquals(Vote.yes(), resource.prepare("tx-2").await(10, TimeUnit.SECONDS));
    resource.commit("tx-2").await(10, TimeUnit.SECONDS);
    assertEquals(1, rows());
  }

  @Test
  void aRollbackClearsTheMark() throws Exception {
    insert("tx-3", "c");
    resource.markRollbackOnly("tx-3", "refused");
    resource.rollback("tx-3").await(10, TimeUnit.SECONDS);
    assertEquals(0, resource.marked());
    assertEquals(0, rows());
  }
}
