package io.pledge.participant.it;

import org.awaitility.Awaitility;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.v1.Outcome;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.support.InJvmDeployment;
import io.pledge.participant.support.MemoryResource;
import io.pledge.participant.support.ParticipantCalls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The SDK against the real coordinator in this JVM: real gRPC on loopback, real H2 logs on both sides. */
class RealCoordinatorIT {

  private static final Logger LOG = LoggerFactory.getLogger(RealCoordinatorIT.class);

  @TempDir
  Path dir;

  private InJvmDeployment deployment;
  private Vertx vertx;
  private CoordinatorServer coordinator;
  private TransactionClient client;
  private MemoryResource a;
  private MemoryResource b;
  private SimpleMeterRegistry registryA;
  private ParticipantNode nodeA;
  private ParticipantNode nodeB;

  @BeforeEach
  void start() throws Exception {
    deployment = InJvmDeployment.start(dir);
    vertx = deployment.vertx;
    coordinator = deployment.coordinator;
    client = deployment.client;
    a = deployment.a;
    b = deployment.b;
    registryA = deployment.registryA;
    nodeA = deployment.nodeA;
    nodeB = deployment.nodeB;
  }

  @AfterEach
  void stop() throws Exception {
    deployment.close();
  }

  private Future<Void> joinBoth(String txId) {
    return nodeA.join("a", txId).compose(v -> nodeB.join("b", txId));
  }

  private <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  @Test
  void twoParticipantsCommit() throws Exception {
    TxResult<Void> result = await(client.inTransaction(this::joinBoth));
    String tx = result.outcome().txId();
    assertTrue(result.committed());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.calls.contains("commit " + tx)
        && b.calls.contains("commit " + tx));
    assertEquals(List.of("prepare " + tx, "commit " + tx), a.calls);
  }

  @Test
  void aSingleParticipantGetsOnePhaseCommit() throws Exception {
    TxResult<Void> result = await(client.inTransaction(tx -> nodeA.join("a", tx)));
    assertTrue(result.committed());
    String tx = result.outcome().txId();
    // One-phase at the participant: prepare, force the COMMITTING decision, commit.
    assertEquals(List.of("prepare " + tx, "commit " + tx), a.calls);
  }

  @Test
  void aVoluntaryNoAbortsAndTheOtherRollsBack() throws Exception {
    TxResult<Void> result = await(client.inTransaction(tx -> {
      b.script(tx, MemoryResource.Script.NO);
      return joinBoth(tx);
    }));
    String tx = result.outcome().txId();
    assertFalse(result.committed());
    assertEquals("ABORT_CAUSE_VOTED_NO", result.outcome().cause());
    assertTrue(result.outcome().detail().contains("insufficient funds"), result.outcome().detail());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.calls.contains("rollback " + tx));
    assertFalse(a.calls.contains("commit " + tx));
  }

  @Test
  void aFailureInPrepareAborts() throws Exception {
    TxResult<Void> result = await(client.inTransaction(tx -> {
      a.script(tx, MemoryResource.Script.FAIL);
      return joinBoth(tx);
    }));
    String tx = result.outcome().txId();
    assertFalse(result.committed());
    assertTrue(result.outcome().detail().contains("disk on fire"), result.outcome().detail());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> b.calls.contains("rollback " + tx));
  }

  @Test
  void aRollbackThatOvertakesItsPrepareMakesThePrepareVoteNo() throws Exception {
    try (ParticipantCalls toB = new ParticipantCalls(vertx, nodeB.port())) {
      // The rollback is delivered before the coordinator's prepare: reordered.
      TxResult<Void> result = await(client.inTransaction(tx -> joinBoth(tx).compose(v -> toB.rollbackAsync(tx, "b"))));
      String tx = result.outcome().txId();
      assertFalse(result.committed());
      assertEquals("ABORT_CAUSE_VOTED_NO", result.outcome().cause());
      assertFalse(b.calls.contains("prepare " + tx), "the late prepare never reached the resource");
    }
  }

  @Test
  void duplicateCallsAfterTheOutcomeAreAcknowledgedWithoutEffect() throws Exception {
    TxResult<Void> result = await(client.inTransaction(this::joinBoth));
    String tx = result.outcome().txId();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.calls.contains("commit " + tx));
    try (ParticipantCalls toA = new ParticipantCalls(vertx, nodeA.port())) {
      assertEquals(io.pledge.api.v1.Vote.VOTE_YES, toA.prepare(tx, "a").getVote());
      assertEquals(Outcome.OUTCOME_COMMITTED, toA.commit(tx, "a", false).getOutcome());
    }
    assertEquals(1, a.count("prepare " + tx));
    assertEquals(1, a.count("commit " + tx));
    assertTrue(await(client.commit(tx)).committed(), "commit is idempotent at the coordinator too");
  }

  /**
   * The half transfer from outside (issue 11): the call to b fails before b could join (its service is down), and
   * a careless client commits anyway. Before the client tracked its calls, a alone was one-phase committed.
   */
  @Test
  void aFailedCallMarksTheTransactionRollbackOnlyAndCommitAnswersAbortedNamingIt() throws Exception {
    int deadPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    String tx = await(client.begin());
    await(client.call(tx, "a POST /debit", () -> nodeA.join("a", tx)));
    Future<?> toB = client.call(tx, "b POST /credit", () -> http.request(io.vertx.core.http.HttpMethod.POST,
        deadPort, "127.0.0.1", "/credit").compose(r -> r.send()));
    org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> toB.await(30, TimeUnit.SECONDS));

    // The careless client ignores the failure and commits.
    io.pledge.participant.client.TxOutcome outcome = await(client.commit(tx));
    assertFalse(outcome.committed(), "half a transfer must not commit");
    assertTrue(outcome.detail().contains("b POST /credit"), outcome.detail());
    assertFalse(a.calls.contains("commit " + tx), "a never commits: " + a.calls);
    assertEquals(Outcome.OUTCOME_ABORTED, outcomeAtCoordinator(tx));
    assertFalse(await(client.commit(tx)).committed(), "a repeated commit answers the same");
    http.close();
  }

  @Test
  void anApplicationThatHandledTheFailureItselfMayStillCommit() throws Exception {
    String tx = await(client.begin());
    await(client.call(tx, "a POST /debit", () -> nodeA.join("a", tx)));
    Future<Void> optional = client.call(tx, "audit-log POST", () -> Future.failedFuture("audit log unreachable"));
    org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> optional.await(10, TimeUnit.SECONDS));
    client.handled(tx, "audit-log POST");
    assertTrue(await(client.commit(tx)).committed());
  }

  @Test
  void anExpectedParticipantThatNeverEnlistedAbortsAtTheCoordinator() throws Exception {
    // What a client in another language does: it names the participants it expects; b never joined.
    String tx = await(client.begin());
    await(nodeA.join("a", tx));
    io.pledge.participant.client.TxOutcome outcome = await(client.commit(tx, List.of("a", "b")));
    assertFalse(outcome.committed());
    assertEquals("ABORT_CAUSE_PARTICIPANT_MISSING", outcome.cause());
    assertTrue(outcome.detail().contains("participant b"), outcome.detail());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.calls.contains("rollback " + tx));
    assertFalse(a.calls.contains("commit " + tx));
    assertFalse(a.calls.contains("prepare " + tx), "nothing was prepared: " + a.calls);
  }

  private Outcome outcomeAtCoordinator(String tx) throws Exception {
    io.vertx.grpc.client.GrpcClient grpc = io.pledge.common.grpc.GrpcTransport.client(vertx,
        new io.vertx.core.http.HttpClientOptions());
    try {
      return await(io.pledge.common.grpc.Rpc.call(grpc, new Endpoint("127.0.0.1", coordinator.grpcPort())
          .toSocketAddress(), io.pledge.api.v1.TransactionCoordinatorGrpcClient.GetOutcome,
          io.pledge.api.v1.GetOutcomeRequest.newBuilder().setTxId(tx).build(), Duration.ofSeconds(5)))
          .getOutcome();
    } finally {
      grpc.close();
    }
  }

  /** Not a speed assertion: it reports the participant-side cost of a prepare for the record. */
  @Test
  void measuresTheAddedLatencyOfAPrepare() throws Exception {
    for (int i = 0; i < 100; i++) {
      await(client.inTransaction(this::joinBoth));
    }
    Timer sequential = registryA.get("pledge.participant.prepare.latency").timer();
    System.out.printf("PREPARE-LATENCY one-in-flight count=%d meanMs=%.3f maxMs=%.3f%n", sequential.count(),
        sequential.mean(TimeUnit.MILLISECONDS), sequential.max(TimeUnit.MILLISECONDS));
    long countBefore = sequential.count();
    double totalBefore = sequential.totalTime(TimeUnit.MILLISECONDS);
    List<Future<TxResult<Void>>> all = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      all.clear();
      for (int i = 0; i < 20; i++) {
        all.add(client.inTransaction(this::joinBoth));
      }
      await(Future.all(all));
    }
    long count = sequential.count() - countBefore;
    double mean = (sequential.totalTime(TimeUnit.MILLISECONDS) - totalBefore) / count;
    LOG.info("participant prepare latency with 20 transactions in flight: mean {} ms over {}",
        String.format("%.3f", mean), count);
    System.out.printf("PREPARE-LATENCY 20-in-flight count=%d meanMs=%.3f%n", count, mean);
    assertEquals(200, count);
  }
}
