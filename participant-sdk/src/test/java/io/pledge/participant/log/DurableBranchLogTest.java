package io.pledge.participant.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.participant.barrier.BranchState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableBranchLogTest {

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private DurableBranchLog open() throws Exception {
    return DurableBranchLog.open(vertx, dir.resolve("log"), new SimpleMeterRegistry());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(10, TimeUnit.SECONDS);
  }

  @Test
  void preparedBranchesAreInDoubtUntilFinished() throws Exception {
    try (DurableBranchLog log = open()) {
      await(log.prepared("tx-1", "db"));
      await(log.prepared("tx-2", "db"));
      await(log.committing("tx-3", "db"));
      await(log.finished(new BranchRecord("tx-1", "db", BranchState.COMMITTED)));
      assertEquals(List.of(new BranchRecord("tx-2", "db", BranchState.PREPARED),
          new BranchRecord("tx-3", "db", BranchState.COMMITTING)), await(log.inDoubt()));
      assertEquals(Optional.of(new BranchRecord("tx-1", "db", BranchState.COMMITTED)), await(log.find("tx-1", "db")));
      assertEquals(Optional.empty(), await(log.find("tx-4", "db")));
    }
  }

  @Test
  void recordsSurviveReopeningAndAreNeverDuplicated() throws Exception {
    try (DurableBranchLog log = open()) {
      await(log.prepared("tx-1", "a"));
      await(log.prepared("tx-1", "a"));
      await(log.prepared("tx-1", "b"));
      await(log.finished(new BranchRecord("tx-9", "a", BranchState.ROLLED_BACK)));
    }
    try (DurableBranchLog log = open()) {
      List<BranchRecord> inDoubt = await(log.inDoubt());
      assertEquals(2, inDoubt.size());
      assertTrue(inDoubt.contains(new BranchRecord("tx-1", "a", BranchState.PREPARED)));
      assertTrue(inDoubt.contains(new BranchRecord("tx-1", "b", BranchState.PREPARED)));
      assertEquals(BranchState.ROLLED_BACK, await(log.find("tx-9", "a")).orElseThrow().state());
    }
  }

  @Test
  void manyConcurrentPreparesAllBecomeDurable() throws Exception {
    try (DurableBranchLog log = open()) {
      List<Future<Void>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(log.prepared("tx-" + i, "db"));
      }
      await(Future.all(all));
      assertEquals(200, await(log.inDoubt()).size());
    }
  }

  @Test
  void invalidRecordsAreRejected() throws Exception {
    try (DurableBranchLog log = open()) {
      assertThrows(IllegalArgumentException.class,
          () -> log.finished(new BranchRecord("tx", "db", BranchState.PREPARED)));
      assertThrows(IllegalArgumentException.class, () -> new BranchRecord("", "db", BranchState.COMMITTED));
      assertThrows(IllegalArgumentException.class, () -> new BranchRecord("tx", "db", BranchState.ACTIVE));
      assertThrows(IllegalArgumentException.class, () -> log.prepared("x".repeat(300), "db"));
    }
  }
}
