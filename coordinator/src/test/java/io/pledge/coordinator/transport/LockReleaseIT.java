package io.pledge.coordinator.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.Outcome;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** At END the coordinator releases every lock the transaction owns on a real lock service (one Hazelcast member). */
class LockReleaseIT {

  @TempDir
  Path dir;

  Vertx vertx;
  LockServer lockServer;
  LockClient locks;
  CoordinatorServer coordinator;
  CoordinatorTestClient client;
  TestParticipant a;
  TestParticipant b;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    lockServer = LockServer.start(
        Config.of(LockServiceOptions.ALL, LockServiceOptions.loopbackMember(5981, "coordinator-it")));
    Endpoint lockEndpoint = new Endpoint("127.0.0.1", lockServer.grpcPort());
    locks = LockClient.create(vertx, lockEndpoint);
    coordinator = Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
        "grpc.port", "0", "http.port", "0", "data.dir", dir.toString(), "locks.endpoint", lockEndpoint.toString()))));
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    a = TestParticipant.start(vertx, "bank-a");
    b = TestParticipant.start(vertx, "bank-b");
  }

  @AfterEach
  void stop() {
    client.close();
    a.close();
    b.close();
    Await.result(coordinator.close());
    locks.close();
    lockServer.close();
    Await.result(vertx.close());
  }

  void awaitNoHolder(String lock) {
    await().atMost(Duration.ofSeconds(10))
        .until(() -> Await.result(locks.inspect(lock)).getHoldersCount() == 0);
  }

  @Test
  void committedTransactionsLocksAreReleasedAtEnd() {
    String tx = client.begin();
    Await.result(locks.acquire(LockClient.Request.exclusive("account-1", tx, Duration.ofMinutes(1))));
    Await.result(locks.acquire(LockClient.Request.exclusive("account-2", tx, Duration.ofMinutes(1))));
    client.enlist(tx, a);
    client.enlist(tx, b);
    assertEquals(1, Await.result(locks.inspect("account-1")).getHoldersCount());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    awaitNoHolder("account-1");
    awaitNoHolder("account-2");
  }

  @Test
  void aLockServiceOutageIsOneLineAndReleasesResumeWhenItAnswers() throws Exception {
    // Issue 11 item 5: before, every transaction finishing during an outage logged its own "locks not released"
    // WARN after five quick tries, and its locks were never released.
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    ch.qos.logback.classic.Logger releaser =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(LockReleaser.class);
    lines.start();
    releaser.addAppender(lines);
    try {
      int grpcPort = lockServer.grpcPort();
      lockServer.close();
      java.util.List<String> finished = new java.util.ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String tx = client.begin();
        client.enlist(tx, a);
        assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
        finished.add(tx);
      }
      // Let the releases fail and be retried for a while (the old code gave up after ~3 s).
      await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
      java.util.Map<String, String> member = new java.util.HashMap<>(LockServiceOptions.loopbackMember(5981,
          "coordinator-it"));
      member.put(LockServiceOptions.GRPC_PORT.name(), Integer.toString(grpcPort));
      lockServer = LockServer.start(Config.of(LockServiceOptions.ALL, member));
      // Locks owned by the finished transactions (as a holder re-asserting them after the restart would): the
      // releaser's retries must release them.
      for (int i = 0; i < 50; i += 10) {
        Await.result(locks.acquire(LockClient.Request.exclusive("late-" + i, finished.get(i), Duration.ofMinutes(1))));
      }
      for (int i = 0; i < 50; i += 10) {
        awaitNoHolder("late-" + i);
      }
      long warnings = lines.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN).count();
      assertEquals(1, warnings, lines.list.toString());
      assertTrue(lines.list.stream().anyMatch(e -> e.getFormattedMessage().contains("answers again")),
          lines.list.toString());
    } finally {
      releaser.detachAppender(lines);
    }
  }

  @Test
  void abortedTransactionsLocksAreReleasedToo() {
    b.voteNoWhen(t -> true);
    String tx = client.begin();
    Await.result(locks.acquire(LockClient.Request.exclusive("account-3", tx, Duration.ofMinutes(1))));
    client.enlist(tx, a);
    client.enlist(tx, b);
    assertEquals(Outcome.OUTCOME_ABORTED, client.commit(tx).getOutcome());
    awaitNoHolder("account-3");
  }
}
