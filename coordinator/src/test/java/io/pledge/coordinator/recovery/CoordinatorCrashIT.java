package io.pledge.coordinator.recovery;

import static io.pledge.testkit.TestParticipant.BranchState.COMMITTED;
import static io.pledge.testkit.TestParticipant.BranchState.PREPARED;
import static io.pledge.testkit.TestParticipant.BranchState.ROLLED_BACK;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.TransactionState;
import io.pledge.testkit.CoordinatorProcess;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.MiniCluster;
import io.pledge.testkit.TestParticipant;
import io.pledge.testkit.TestParticipant.BranchState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator runs in its own JVM and is killed with SIGKILL while many transactions are in flight; after a
 * restart on the same log, every transaction the client was told COMMITTED is committed at every participant,
 * every other one is rolled back everywhere, and none is left unresolved.
 */
class CoordinatorCrashIT {

  private static final int LANES = 16;

  @TempDir
  Path dir;

  MiniCluster cluster;
  TestParticipant a;
  TestParticipant b;
  CoordinatorProcess coordinator;
  CoordinatorTestClient client;
  /** What the client was told, per transaction: COMMITTED, ABORTED, or absent (no answer: in flight at the kill). */
  final Map<String, Outcome> told = new ConcurrentHashMap<>();
  final Map<String, Boolean> begun = new ConcurrentHashMap<>();
  final AtomicBoolean running = new AtomicBoolean(true);

  /**
   * The coordinator's {@code server.event-loops}: one here, the coordinator as it always was; several in
   * {@link CoordinatorCrashFourLoopsIT} (each manager recovering its share of the log).
   */
  int eventLoops() {
    return 1;
  }

  @BeforeEach
  void start() {
    cluster = MiniCluster.start(dir, 1, List.of("bank-a", "bank-b"), List.of("--tx.prepare-timeout=60s",
        "--participant.retry-base=20ms", "--participant.retry-cap=200ms", "--participant.call-timeout=2s",
        "--server.event-loops=" + eventLoops()));
    a = cluster.participant("bank-a");
    b = cluster.participant("bank-b");
    coordinator = cluster.coordinator(0);
    client = cluster.client();
  }

  @AfterEach
  void stop() {
    running.set(false);
    cluster.close();
  }

  /** Lanes of transactions, one after another in each lane, until stopped or a call fails (the kill). */
  void drive() {
    for (int lane = 0; lane < LANES; lane++) {
      runLane();
    }
  }

  private void runLane() {
    if (!running.get()) {
      return;
    }
    client.beginAsync(0, Map.of()).compose(tx -> {
      begun.put(tx, true);
      return client.enlistAsync(tx, a.id(), a.endpoint())
          .compose(x -> client.enlistAsync(tx, b.id(), b.endpoint()))
          .compose(x -> client.commitAsync(tx))
          .map(r -> {
            told.put(tx, r.getOutcome());
            return tx;
          });
    }).onSuccess(tx -> runLane());
  }

  int toldCount(Outcome outcome) {
    return (int) told.values().stream().filter(o -> o == outcome).count();
  }

  void restartAndCheckEverythingResolves() {
    cluster.restartCoordinator(0);
    await("every transaction resolved at both participants").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String tx : begun.keySet()) {
        BranchState atA = a.state(tx);
        BranchState atB = b.state(tx);
        assertTrue(atA != PREPARED && atB != PREPARED, tx + " still prepared: a=" + atA + " b=" + atB);
        if (told.get(tx) == Outcome.OUTCOME_COMMITTED) {
          assertEquals(COMMITTED, atA, tx + " was acknowledged COMMITTED");
          assertEquals(COMMITTED, atB, tx + " was acknowledged COMMITTED");
        } else if (atA == COMMITTED || atB == COMMITTED) {
          // Decided and logged just before the kill, answer lost: committed is fine, but at both.
          assertEquals(COMMITTED, atA, tx);
          assertEquals(COMMITTED, atB, tx);
        } else {
          assertTrue(atA == null || atA == ROLLED_BACK, tx + " at a: " + atA);
          assertTrue(atB == null || atB == ROLLED_BACK, tx + " at b: " + atB);
        }
      }
      for (TransactionState unfinished : List.of(TransactionState.TRANSACTION_STATE_PREPARING,
          TransactionState.TRANSACTION_STATE_PREPARED, TransactionState.TRANSACTION_STATE_COMMITTING,
          TransactionState.TRANSACTION_STATE_ROLLING_BACK)) {
        assertEquals(0, client.list(ListTransactionsRequest.newBuilder().addStates(unfinished).build())
            .getTransactionsCount(), "coordinator still has transactions " + unfinished);
      }
    });
    for (String tx : begun.keySet()) {
      Outcome outcome = client.outcome(tx);
      assertEquals(a.state(tx) == COMMITTED ? Outcome.OUTCOME_COMMITTED : Outcome.OUTCOME_ABORTED, outcome, tx);
    }
  }

  @Test
  void killedAfterCommitDecisionsBeforePhaseTwoCompletes() {
    // Phase 2 never gets through before the kill: every acknowledged commit sits in COMMITTING.
    a.failPhaseTwo(Integer.MAX_VALUE);
    b.voteNoWhen(tx -> ThreadLocalRandom.current().nextInt(10) == 0);
    drive();
    await().atMost(Duration.ofSeconds(60)).until(() -> toldCount(Outcome.OUTCOME_COMMITTED) >= 100);
    coordinator.kill();
    running.set(false);
    a.failPhaseTwo(0);
    b.voteNoWhen(tx -> false);

    restartAndCheckEverythingResolves();
    assertTrue(toldCount(Outcome.OUTCOME_COMMITTED) >= 100);
    assertTrue(told.size() < begun.size() || toldCount(Outcome.OUTCOME_ABORTED) > 0);
  }

  @Test
  void killedDuringPrepare() {
    drive();
    await().atMost(Duration.ofSeconds(60)).until(() -> toldCount(Outcome.OUTCOME_COMMITTED) >= 50);
    // From now on b never answers prepare: every lane gets stuck with a prepared at a.
    b.stallPrepareWhen(tx -> true);
    await().atMost(Duration.ofSeconds(60)).until(() -> a.ledger().values().stream()
        .filter(s -> s == PREPARED).count() >= LANES);
    coordinator.kill();
    running.set(false);
    b.stallPrepareWhen(tx -> false);

    restartAndCheckEverythingResolves();
    long rolledBack = begun.keySet().stream().filter(tx -> a.state(tx) == ROLLED_BACK).count();
    assertTrue(rolledBack >= LANES, "the prepared ones were rolled back: " + rolledBack);
  }

  @Test
  void killedWhilePhaseTwoRetriesAndRestartedTwice() {
    a.failPhaseTwo(Integer.MAX_VALUE);
    drive();
    await().atMost(Duration.ofSeconds(60)).until(() -> toldCount(Outcome.OUTCOME_COMMITTED) >= 30);
    coordinator.kill();
    running.set(false);
    // Recovery starts phase 2 again, which still fails; a second crash must not lose anything either.
    cluster.restartCoordinator(0);
    coordinator.kill();
    a.failPhaseTwo(0);
    restartAndCheckEverythingResolves();
  }

}
