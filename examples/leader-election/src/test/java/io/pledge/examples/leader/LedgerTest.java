package io.pledge.examples.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fenced ledger on a real H2 file: what it admits, what it refuses, and what it remembers across a reopen. */
class LedgerTest {

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final List<Rejection> rejected = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Ledger open() throws Exception {
    return Ledger.open(vertx, dir, "leader/ledger", rejected::add).await(30, TimeUnit.SECONDS);
  }

  private AppendResult append(Ledger ledger, String writer, long token, long seq) throws Exception {
    return ledger.append(new Write(writer, token, seq)).await(30, TimeUnit.SECONDS);
  }

  @Test
  void equalAndHigherTokensAreAdmittedALowerOneIsNot() throws Exception {
    Ledger ledger = open();
    assertEquals(1, assertInstanceOf(AppendResult.Accepted.class, append(ledger, "worker-1", 41, 1)).entry().index());
    assertInstanceOf(AppendResult.Accepted.class, append(ledger, "worker-1", 41, 2));
    assertInstanceOf(AppendResult.Accepted.class, append(ledger, "worker-2", 43, 1));

    AppendResult.Stale stale = assertInstanceOf(AppendResult.Stale.class, append(ledger, "worker-1", 41, 3));

    assertEquals(new AppendResult.Stale(41, 43), stale);
    assertEquals(List.of("ledger rejected stale write from worker-1 (token 41 < 43)"),
        rejected.stream().map(Rejection::line).toList());
    assertEquals(3, ledger.entries().await(30, TimeUnit.SECONDS).size());
    assertEquals(1, ledger.rejections().await(30, TimeUnit.SECONDS).size());
    assertEquals(43, ledger.highestToken());
    ledger.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aReopenedLedgerStillRefusesTokensBelowTheHighestInItsLog() throws Exception {
    Ledger first = open();
    append(first, "worker-2", 43, 1);
    first.close().await(30, TimeUnit.SECONDS);

    Ledger again = open();
    assertEquals(43, again.highestToken());
    assertInstanceOf(AppendResult.Stale.class, append(again, "worker-1", 41, 1));
    AppendResult.Accepted next = assertInstanceOf(AppendResult.Accepted.class, append(again, "worker-2", 43, 2));
    assertEquals(2, next.entry().index());
    again.close().await(30, TimeUnit.SECONDS);
  }
}
