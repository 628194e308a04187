package io.pledge.participant.endpoint;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.api.v1.Vote;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.RpcException;
import io.pledge.participant.support.FakeCoordinator;
import io.pledge.participant.support.MemoryResource;
import io.pledge.participant.support.ParticipantCalls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a resource whose prepare is its own durable record ({@code ResourceManager.durablePrepare}) gets no forced
 * PREPARED record from the endpoint, and everything that record did for the barrier still holds, across restarts of
 * the node (in-process here, on the same log and resource; {@code DurablePrepareCrashIT} kills real JVMs). The
 * resource is a {@link MemoryResource} that keeps a yes-voted branch "prepared" until its commit or rollback, as an
 * XA database does; a second participant on the same node keeps the forced record, for comparison.
 */
class DurablePrepareTest {

  private static final String DURABLE = "durable";
  private static final String LOGGED = "logged";

  @TempDir
  Path dir;

  private Vertx vertx;
  private FakeCoordinator coordinator;
  private MemoryResource durable;
  private MemoryResource logged;
  private SimpleMeterRegistry registry;
  private ParticipantNode node;
  private ParticipantCalls calls;
  private int port;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = FakeCoordinator.start(vertx, 0);
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    durable = new MemoryResource().durable();
    logged = new MemoryResource();
    node = startNode().await(20, TimeUnit.SECONDS);
    calls = new ParticipantCalls(vertx, port);
  }

  /** A node on a fixed port, so that the test can call it while it still recovers. */
  private Future<ParticipantNode> startNode() {
    registry = new SimpleMeterRegistry();
    ParticipantOptions d = ParticipantOptions.defaults(Endpoint.parse(coordinator.endpoint()), dir)
        .withRecoveryBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
    ParticipantOptions options = new ParticipantOptions(d.host(), port, Optional.empty(), d.coordinators(),
        d.dataDir(), d.rpcTimeout(), d.recoveryInitialBackoff(), d.recoveryMaxBackoff(), d.activeTimeout(),
        d.silenceTimeout());
    return ParticipantNode.builder(vertx, options).resource(DURABLE, durable).resource(LOGGED, logged)
        .registry(registry).start();
  }

  private void restart() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    node = startNode().await(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    calls.close();
    if (node != null) {
      node.close().await(10, TimeUnit.SECONDS);
    }
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Device syncs of the participant log so far. */
  private long logSyncs() {
    return (long) registry.get("pledge.log.syncs").tag("log", "participant").counter().count();
  }

  private Vote prepare(String tx, String participant) throws Exception {
    return calls.prepare(tx, participant).getVote();
  }

  /** The figure of the issue: forced writes per prepare, 0 with a durable prepare, 1 with the endpoint's record. */
  @Test
  void aDurablePrepareForcesNothingWhereTheLoggedOneForcesOneRecordPerPrepare() throws Exception {
    int n = 5;
    long before = logSyncs();
    for (int i = 0; i < n; i++) {
      node.join(DURABLE, "tx-d" + i).await(10, TimeUnit.SECONDS);
      assertEquals(Vote.VOTE_YES, prepare("tx-d" + i, DURABLE));
    }
    assertEquals(0, logSyncs() - before, "syncs for " + n + " durable prepares");
    for (int i = 0; i < n; i++) {
      calls.commit("tx-d" + i, DURABLE, false);
    }
    assertEquals(0, logSyncs() - before, "the COMMITTED records are not forced either");

    before = logSyncs();
    for (int i = 0; i < n; i++) {
      node.join(LOGGED, "tx-l" + i).await(10, TimeUnit.SECONDS);
      assertEquals(Vote.VOTE_YES, prepare("tx-l" + i, LOGGED));
    }
    assertEquals(n, logSyncs() - before, "one forced PREPARED record per logged prepare");
  }

  @Test
  void aPrepareRepeatedAfterTheYesAnswersYesAgainAlsoAfterARestart() throws Exception {
    node.join(DURABLE, "tx-1").await(10, TimeUnit.SECONDS);
    assertEquals(Vote.VOTE_YES, prepare("tx-1", DURABLE));
    assertEquals(Vote.VOTE_YES, prepare("tx-1", DURABLE));
    restart();
    assertEquals(Vote.VOTE_YES, prepare("tx-1", DURABLE), "adopted from the resource's recover()");
    assertEquals(1, durable.count("prepare tx-1"), "the resource prepared once");
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1", DURABLE, false).getOutcome());
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1", DURABLE, false).getOutcome());
    assertEquals(1, durable.count("commit tx-1"), "the duplicate commit is acknowledged from the COMMITTED record");
    assertTrue(durable.recover().await(5, TimeUnit.SECONDS).isEmpty());
  }

  @Test
  void aRollbackThatOvertakesThePrepareMakesItVoteNo() throws Exception {
    calls.rollback("tx-1", DURABLE);
    assertEquals(Vote.VOTE_NO, prepare("tx-1", DURABLE));
    assertThrows(Exception.class, () -> node.join(DURABLE, "tx-1").await(10, TimeUnit.SECONDS));
    assertEquals(List.of("rollback tx-1"), durable.calls, "told to roll back by id, never prepared");
  }

  /**
   * kill -9 right after the yes, in-process: the node restarts with nothing in its log and the resource still
   * holding both branches. They are resolved with the coordinator (the old code rolled every unlogged branch back at
   * once, taking it for a prepare whose yes never left), and never decided here while the answer is pending.
   */
  @Test
  void branchesKnownOnlyFromRecoverAreResolvedWithTheCoordinator() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    durable.holdPrepared("tx-c").holdPrepared("tx-a");
    logged.holdPrepared("tx-orphan");
    node = startNode().await(20, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> logged.calls.contains("rollback tx-orphan"));
    await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.outcomeQueries.get() >= 4);
    assertEquals(2, node.inDoubt(), "pending answers keep both in doubt");
    assertEquals(List.of(), durable.calls, "a prepared participant never decides alone");
    assertEquals(Vote.VOTE_YES, prepare("tx-c", DURABLE), "a repeated Prepare of an adopted branch answers yes");

    coordinator.outcomes.put("tx-c", Outcome.OUTCOME_COMMITTED);
    coordinator.outcomes.put("tx-a", Outcome.OUTCOME_ABORTED);
    await().atMost(Duration.ofSeconds(10)).until(() -> node.inDoubt() == 0);
    assertEquals(List.of("commit tx-c", "rollback tx-a"), durable.calls.stream().sorted().toList());
    // The coordinator's own phase-2 retries after the resolver finished: acknowledged without a second effect.
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-c", DURABLE, false).getOutcome());
    calls.rollback("tx-a", DURABLE);
    assertEquals(2, durable.calls.size(), durable.calls.toString());
    assertEquals(0, node.liveBranches().await(5, TimeUnit.SECONDS));
  }

  /**
   * The window between the resource's commit and the (unforced) COMMITTED record: after a crash there, neither the
   * log nor {@code recover()} knows the branch, and the coordinator, which never got the ack, commits again. The
   * endpoint commits by id (a no-op at the resource) and acknowledges: the outcome is neither lost nor refused. The
   * logged participant still refuses a commit of a branch it never voted for.
   */
  @Test
  void aCommitRetriedAfterTheResourceCommittedAndTheRecordWasLostIsAcknowledged() throws Exception {
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-lost-record", DURABLE, false).getOutcome());
    assertEquals(List.of("commit tx-lost-record"), durable.calls);
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-lost-record", DURABLE, false).getOutcome());
    assertEquals(1, durable.count("commit tx-lost-record"), "recorded COMMITTED the first time");

    RpcException refused = assertThrows(RpcException.class, () -> calls.commit("tx-never", LOGGED, false));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, refused.status());
  }

  /** One-phase commit is the participant's own decision: its COMMITTING record stays forced. */
  @Test
  void theOnePhaseDecisionIsStillForced() throws Exception {
    node.join(DURABLE, "tx-1p").await(10, TimeUnit.SECONDS);
    long before = logSyncs();
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1p", DURABLE, true).getOutcome());
    assertEquals(1, logSyncs() - before);
    assertEquals(List.of("prepare tx-1p", "commit tx-1p"), durable.calls);
  }

  /**
   * A one-phase attempt that crashed after the resource prepared but before the participant's decision was forced
   * leaves a branch that the restart adopts as PREPARED. The coordinator's one-phase retry must force the decision
   * (COMMITTING) before the resource commits: here the process "dies" right after the resource's commit, and the
   * next restart still finishes the commit and answers the retry COMMITTED. Committing without the forced decision
   * left no trace anywhere, and the retry was answered ABORTED for a committed branch.
   */
  @Test
  void aOnePhaseRetryOfAnAdoptedBranchForcesItsDecisionBeforeTheResourceCommits() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    durable.holdPrepared("tx-1p").hangAfterCommit("tx-1p");
    node = startNode().await(20, TimeUnit.SECONDS);
    long before = logSyncs();
    Future<?> lost = calls.commitAsync("tx-1p", DURABLE, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> durable.calls.contains("commit tx-1p"));
    assertEquals(1, logSyncs() - before, "the decision was forced before the resource committed");
    node.close().await(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(lost::isComplete);

    node = startNode().await(20, TimeUnit.SECONDS);
    assertTrue(durable.recover().await(5, TimeUnit.SECONDS).isEmpty(), "the resource committed it");
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1p", DURABLE, true).getOutcome());
  }

  /**
   * The endpoint listens before start-up recovery has heard the resource's {@code recover()}: a repeated Prepare
   * that arrives then waits for it, and answers yes, instead of taking "no trace here" for "never worked for".
   */
  @Test
  void aPrepareDuringStartUpRecoveryWaitsForTheResourcesList() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    durable.holdPrepared("tx-early");
    Promise<Void> listed = Promise.promise();
    durable.recoverGate(listed.future());
    Future<ParticipantNode> starting = startNode();
    Future<PrepareResponse> early = retryUntilListening(() -> calls.prepareAsync("tx-early", DURABLE));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !early.isComplete());
    listed.complete();
    node = starting.await(20, TimeUnit.SECONDS);
    assertEquals(Vote.VOTE_YES, early.await(10, TimeUnit.SECONDS).getVote());
    assertEquals(List.of(), durable.calls);
  }

  /** Calls {@code call} until the node listens (connection refused before). */
  private Future<PrepareResponse> retryUntilListening(java.util.function.Supplier<Future<PrepareResponse>> call) {
    Promise<Future<PrepareResponse>> sent = Promise.promise();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return true;
      } catch (java.io.IOException e) {
        return false;
      }
    });
    sent.complete(call.get());
    return sent.future().compose(f -> f);
  }
}
