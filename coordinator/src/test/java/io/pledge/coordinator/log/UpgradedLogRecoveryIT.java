package io.pledge.coordinator.log;

import static io.pledge.testkit.TestParticipant.BranchState.COMMITTED;
import static io.pledge.testkit.TestParticipant.BranchState.ROLLED_BACK;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ParticipantInfo;
import io.pledge.coordinator.state.TxId;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorProcess;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator upgraded in place: its log, written by the version with a row per participant (schema V1, V2),
 * holds a commit decision whose phase 2 never finished and an intent without a decision. The new coordinator, in
 * its own JVM, migrates the log on start and recovers both with the participants the old one wrote: the decision
 * is committed at both participants, the intent rolled back at both.
 */
class UpgradedLogRecoveryIT {

  @TempDir
  Path dir;

  @Test
  void theNewCoordinatorFinishesWhatTheOldOneLeftWithTheSameParticipants() throws Exception {
    Vertx vertx = Vertx.vertx();
    TestParticipant a = TestParticipant.start(vertx, "bank-a");
    TestParticipant b = TestParticipant.start(vertx, "bank-b");
    Path data = dir.resolve("coord-0");
    String committing = new TxId("coord-0", 1, 1).toString();
    String intent = new TxId("coord-0", 1, 2).toString();
    try (OldLogFixture old = OldLogFixture.create(data, "2")) {
      old.epoch(1)
          .tx(committing, 1, "COMMIT", Long.MAX_VALUE, System.currentTimeMillis())
          .participant(committing, a.id(), a.endpoint(), null)
          .participant(committing, b.id(), b.endpoint(), null)
          .tx(intent, 1, "INTENT", Long.MAX_VALUE, System.currentTimeMillis())
          .participant(intent, a.id(), a.endpoint(), null)
          .participant(intent, b.id(), b.endpoint(), null);
    }
    CoordinatorProcess coordinator = new CoordinatorProcess("coord-0", data, List.of("--node.id=coord-0",
        "--participant.retry-base=20ms", "--participant.retry-cap=200ms"));
    try (CoordinatorTestClient client = new CoordinatorTestClient(vertx, coordinator.start().grpcPort())) {
      await("recovery reaches both participants").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertEquals(COMMITTED, a.state(committing));
        assertEquals(COMMITTED, b.state(committing));
        assertEquals(ROLLED_BACK, a.state(intent));
        assertEquals(ROLLED_BACK, b.state(intent));
      });
      assertEquals(Outcome.OUTCOME_COMMITTED, client.outcome(committing));
      assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(intent));
      assertEquals(List.of(a.id(), b.id()), client.get(committing).getParticipantsList().stream()
          .map(ParticipantInfo::getParticipantId).sorted().toList());
    } finally {
      coordinator.close();
      a.close();
      b.close();
      Await.result(vertx.close());
    }
  }
}
