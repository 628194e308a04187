package io.pledge.participant.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.Vote;
import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.support.FakeCoordinator;
import io.pledge.participant.support.MemoryResource;
import io.pledge.participant.support.ParticipantCalls;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running participant does not wait forever to be told (issue 11 item 3): an open branch ends at the
 * transaction's deadline from Enlist, and a branch that hears nothing asks the coordinator and obeys.
 */
class SilentBranchesTest {

  private static final String RM = "accounts";

  @TempDir
  Path dir;

  private Vertx vertx;
  private FakeCoordinator coordinator;
  private MemoryResource resource;
  private ParticipantNode node;
  private ParticipantCalls calls;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = FakeCoordinator.start(vertx, 0);
    resource = new MemoryResource();
    ParticipantOptions options = ParticipantOptions.defaults(Endpoint.parse(coordinator.endpoint()), dir)
        .withRecoveryBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
        .withSilenceTimeout(Duration.ofMillis(300));
    node = ParticipantNode.builder(vertx, options).resource(RM, resource).start().await(20, TimeUnit.SECONDS);
    calls = new ParticipantCalls(vertx, node.port());
  }

  @AfterEach
  void stop() throws Exception {
    calls.close();
    node.close().await(10, TimeUnit.SECONDS);
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anOpenBranchEndsAtTheTransactionsDeadlineNotTheActiveTimeout() throws Exception {
    String tx = "fake-0:1:1";
    coordinator.deadlines.put(tx, System.currentTimeMillis() + 300);
    node.join(RM, tx).await(10, TimeUnit.SECONDS);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> resource.count("rollback " + tx) == 1);
    assertEquals(Vote.VOTE_NO, calls.prepare(tx, RM).getVote(), "a late prepare finds it rolled back");
  }

  @Test
  void anOpenBranchOfAnAbortedTransactionRollsBackWhenItAsks() throws Exception {
    String tx = "fake-0:1:2";
    node.join(RM, tx).await(10, TimeUnit.SECONDS); // no deadline given: only the question can end it soon
    coordinator.outcomes.put(tx, Outcome.OUTCOME_ABORTED);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> resource.count("rollback " + tx) == 1);
  }

  @Test
  void aSilentPreparedBranchAsksAndObeys() throws Exception {
    String committed = "fake-0:1:3";
    String aborted = "fake-0:1:4";
    for (String tx : new String[] {committed, aborted}) {
      node.join(RM, tx).await(10, TimeUnit.SECONDS);
      assertEquals(Vote.VOTE_YES, calls.prepare(tx, RM).getVote());
    }
    Awaitility.await("the in-doubt gauge shows them while the coordinator cannot say").atMost(Duration.ofSeconds(5))
        .until(() -> node.inDoubt() == 2 && coordinator.outcomeQueries.get() >= 4);
    coordinator.outcomes.put(committed, Outcome.OUTCOME_COMMITTED);
    coordinator.outcomes.put(aborted, Outcome.OUTCOME_ABORTED);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> resource.count("commit " + committed) == 1
        && resource.count("rollback " + aborted) == 1 && node.inDoubt() == 0);
  }

  @Test
  void phaseTwoArrivingFirstStopsTheQuestions() throws Exception {
    String tx = "fake-0:1:5";
    node.join(RM, tx).await(10, TimeUnit.SECONDS);
    assertEquals(Vote.VOTE_YES, calls.prepare(tx, RM).getVote());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> node.inDoubt() == 1);
    calls.commit(tx, RM, false);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> node.inDoubt() == 0);
    int asked = coordinator.outcomeQueries.get();
    Awaitility.await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
        .until(() -> coordinator.outcomeQueries.get() == asked);
    assertTrue(resource.count("commit " + tx) == 1, "committed once, by the coordinator's call");
  }
}
