package io.pledge.participant.endpoint;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.BranchPrepareResult;
import io.pledge.api.v1.PrepareBranchesRequest;
import io.pledge.api.v1.PrepareBranchesResponse;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.Vote;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.RpcException;
import io.pledge.participant.spi.LeaseCheck;
import io.pledge.participant.support.FakeCoordinator;
import io.pledge.participant.endpoint.impl.ParticipantEndpointService;
import io.pledge.participant.support.MemoryResource;
import io.pledge.participant.support.ParticipantCalls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The participant endpoint over real gRPC on loopback with a real H2 log; the test plays the coordinator's calls,
 * and a scripted fake answers Enlist and GetOutcome.
 */
class ParticipantEndpointTest {

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
    node = startNode(resource, LeaseCheck.NONE);
    calls = new ParticipantCalls(vertx, node.port());
  }

  private ParticipantNode startNode(MemoryResource rm, LeaseCheck leases) throws Exception {
    return startNode(rm, leases, Duration.ofMinutes(10));
  }

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private ParticipantNode startNode(MemoryResource rm, LeaseCheck leases, Duration activeTimeout) throws Exception {
    ParticipantOptions options = ParticipantOptions.defaults(Endpoint.parse(coordinator.endpoint()), dir)
        .withRecoveryBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).withActiveTimeout(activeTimeout);
    return ParticipantNode.builder(vertx, options).resource(RM, rm).leases(leases).registry(registry).start()
        .await(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    calls.close();
    node.close().await(10, TimeUnit.SECONDS);
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void join(String txId) throws Exception {
    node.join(RM, txId).await(10, TimeUnit.SECONDS);
  }

  /**
   * {@code coordinator.endpoint} may list a coordinator cluster's members: the enlistment skips a member that does
   * not answer (here a closed port, first in the list) and reaches the one that does. A single endpoint was all the
   * setting took before (the list was refused at start).
   */
  @Test
  void aListOfCoordinatorsInTheSettingIsFollowedToOneThatAnswers() throws Exception {
    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    ParticipantOptions options = ParticipantOptions.from(io.pledge.common.config.Config.of(ParticipantOptions.KEYS,
        java.util.Map.of("coordinator.endpoint", "127.0.0.1:" + closed + ", " + coordinator.endpoint(),
            "participant.data.dir", dir.resolve("listed").toString())));
    assertEquals(List.of(Endpoint.parse("127.0.0.1:" + closed), Endpoint.parse(coordinator.endpoint())),
        options.coordinators());
    ParticipantNode listed = ParticipantNode.builder(vertx, options).resource(RM, new MemoryResource())
        .registry(new SimpleMeterRegistry()).start().await(20, TimeUnit.SECONDS);
    try {
      listed.join(RM, "tx-listed").await(10, TimeUnit.SECONDS);
      assertEquals(List.of("tx-listed"), coordinator.enlisted.stream().map(r -> r.getTxId()).toList());
      assertEquals(listed.endpoint(), coordinator.enlisted.get(0).getEndpoint());
    } finally {
      listed.close().await(10, TimeUnit.SECONDS);
    }
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ParticipantOptions.from(
        io.pledge.common.config.Config.of(ParticipantOptions.KEYS, java.util.Map.of("coordinator.endpoint", " , "))));
    assertTrue(bad.getMessage().contains("no coordinator endpoint"), bad.getMessage());
  }

  @Test
  void joinEnlistsOnceThenPrepareAndCommit() throws Exception {
    join("tx-1");
    join("tx-1");
    assertEquals(1, coordinator.enlisted.size());
    assertEquals(node.endpoint(), coordinator.enlisted.get(0).getEndpoint());
    assertEquals(RM, coordinator.enlisted.get(0).getParticipantId());

    assertEquals(Vote.VOTE_YES, calls.prepare("tx-1", RM).getVote());
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1", RM, false).getOutcome());
    assertEquals(List.of("prepare tx-1", "commit tx-1"), resource.calls);
  }

  @Test
  void completeHandlesEachBranchAsItsOwnCallAndAnswersInOrder() throws Exception {
    for (String tx : List.of("tx-1", "tx-2", "tx-3")) {
      join(tx);
      assertEquals(Vote.VOTE_YES, calls.prepare(tx, RM).getVote());
    }
    calls.commit("tx-3", RM, false);
    CompleteBranchesResponse r = calls.complete(CompleteBranchesRequest.newBuilder()
        .addBranches(completion("tx-1", RM, Outcome.OUTCOME_COMMITTED))
        .addBranches(completion("tx-2", RM, Outcome.OUTCOME_ABORTED))
        .addBranches(completion("tx-3", RM, Outcome.OUTCOME_ABORTED)) // committed already: refused, alone
        .addBranches(completion("tx-4", "no-such-resource", Outcome.OUTCOME_COMMITTED))
        .build());
    assertEquals(List.of(0, 0, GrpcStatus.FAILED_PRECONDITION.code, GrpcStatus.NOT_FOUND.code),
        r.getResultsList().stream().map(BranchCompletionResult::getStatus).toList());
    assertTrue(r.getResults(2).getMessage().contains("tx-3"), r.getResults(2).getMessage());
    assertEquals(1, resource.count("commit tx-1"));
    assertEquals(1, resource.count("rollback tx-2"));

    RpcException empty = assertThrows(RpcException.class,
        () -> calls.complete(CompleteBranchesRequest.getDefaultInstance()));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, empty.status());
    RpcException noOutcome = assertThrows(RpcException.class, () -> calls.complete(CompleteBranchesRequest
        .newBuilder().addBranches(completion("tx-5", RM, Outcome.OUTCOME_PENDING)).build()));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, noOutcome.status());
    assertTrue(noOutcome.detail().contains("branch 0"), noOutcome.detail());
  }

  @Test
  void prepareBranchesHandlesEachBranchAsItsOwnPrepareAndAnswersInOrder() throws Exception {
    for (String tx : List.of("tx-1", "tx-2", "tx-3")) {
      join(tx);
    }
    resource.script("tx-2", MemoryResource.Script.NO);
    PrepareBranchesResponse r = calls.prepareBranches(PrepareBranchesRequest.newBuilder()
        .addBranches(prepare("tx-1", RM))
        .addBranches(prepare("tx-2", RM))
        .addBranches(prepare("tx-3", RM))
        .addBranches(prepare("tx-4", "no-such-resource"))
        .addBranches(prepare("", RM)) // malformed: fails alone
        .build());
    assertEquals(List.of(0, 0, 0, GrpcStatus.NOT_FOUND.code, GrpcStatus.INVALID_ARGUMENT.code),
        r.getResultsList().stream().map(BranchPrepareResult::getStatus).toList());
    assertEquals(List.of(Vote.VOTE_YES, Vote.VOTE_NO, Vote.VOTE_YES),
        r.getResultsList().subList(0, 3).stream().map(BranchPrepareResult::getVote).toList());
    assertTrue(r.getResults(1).getReason().contains("insufficient funds"), r.getResults(1).getReason());
    assertTrue(r.getResults(4).getMessage().contains("tx_id is empty"), r.getResults(4).getMessage());
    // The same branches as single Prepares would be: a repeated prepare is answered from the record, no second call.
    assertEquals(Vote.VOTE_YES, calls.prepare("tx-1", RM).getVote());
    assertEquals(1, resource.count("prepare tx-1"));
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-3", RM, false).getOutcome());
    assertEquals(1.0, registry.find(ParticipantEndpointService.CALLS).tag("rpc", "PrepareBranches").counter()
        .count(), "a batch counts as one call");
  }

  @Test
  void badPrepareBranchesCallsAreRefusedAndChangeNothing() throws Exception {
    join("tx-1");
    RpcException empty = assertThrows(RpcException.class,
        () -> calls.prepareBranches(PrepareBranchesRequest.getDefaultInstance()));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, empty.status());
    assertTrue(empty.detail().contains("1..1024 branches, got 0"), empty.detail());
    // A valid branch first, then short ids, so that the message stays under the endpoint's 16 KiB size limit and
    // it is the count that is refused.
    PrepareBranchesRequest.Builder tooMany = PrepareBranchesRequest.newBuilder().addBranches(prepare("tx-1", RM));
    for (int i = 0; i < ParticipantEndpointService.MAX_PREPARES; i++) {
      tooMany.addBranches(prepare("t", "p"));
    }
    RpcException over = assertThrows(RpcException.class, () -> calls.prepareBranches(tooMany.build()));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, over.status());
    assertTrue(over.detail().contains("got 1025"), over.detail());
    PrepareBranchesResponse badId = calls.prepareBranches(PrepareBranchesRequest.newBuilder()
        .addBranches(prepare("x".repeat(257), RM)).addBranches(prepare("tx-2", "")).build());
    assertEquals(List.of(GrpcStatus.INVALID_ARGUMENT.code, GrpcStatus.INVALID_ARGUMENT.code),
        badId.getResultsList().stream().map(BranchPrepareResult::getStatus).toList());
    assertTrue(badId.getResults(0).getMessage().contains("tx_id is longer than"), badId.getResults(0).getMessage());
    assertTrue(badId.getResults(1).getMessage().contains("participant_id is empty"),
        badId.getResults(1).getMessage());
    assertEquals(List.of(), resource.calls, "nothing was prepared");
    // tx-1 is still active: it can still be prepared, once.
    assertEquals(Vote.VOTE_YES, calls.prepare("tx-1", RM).getVote());
    assertEquals(List.of("prepare tx-1"), resource.calls);
  }

  private static PrepareRequest prepare(String tx, String participant) {
    return PrepareRequest.newBuilder().setTxId(tx).setParticipantId(participant).build();
  }

  private static BranchCompletion completion(String tx, String participant, Outcome outcome) {
    return BranchCompletion.newBuilder().setTxId(tx).setParticipantId(participant).setOutcome(outcome).build();
  }

  @Test
  void duplicatePrepareAndCommitHaveNoSecondEffect() throws Exception {
    join("tx-1");
    assertEquals(Vote.VOTE_YES, calls.prepare("tx-1", RM).getVote());
    assertEquals(Vote.VOTE_YES, calls.prepare("tx-1", RM).getVote());
    calls.commit("tx-1", RM, false);
    calls.commit("tx-1", RM, false);
    assertEquals(List.of("prepare tx-1", "commit tx-1"), resource.calls);
  }

  @Test
  void commitAfterCommitIsAcknowledgedButRollbackAfterCommitIsRefused() throws Exception {
    join("tx-1");
    calls.prepare("tx-1", RM);
    calls.commit("tx-1", RM, false);
    RpcException e = assertThrows(RpcException.class, () -> calls.rollback("tx-1", RM));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, e.status());
    assertEquals(1, resource.count("commit tx-1"));
  }

  @Test
  void voluntaryNoRollsBackLocallyAndIsRemembered() throws Exception {
    resource.script("tx-1", MemoryResource.Script.NO);
    join("tx-1");
    var vote = calls.prepare("tx-1", RM);
    assertEquals(Vote.VOTE_NO, vote.getVote());
    assertEquals("insufficient funds", vote.getReason());
    assertEquals(List.of("prepare tx-1", "rollback tx-1"), resource.calls);
    calls.rollback("tx-1", RM);
    assertEquals(Vote.VOTE_NO, calls.prepare("tx-1", RM).getVote());
    assertEquals(2, resource.calls.size());
  }

  @Test
  void failureInPrepareIsANoVoteWithTheReason() throws Exception {
    resource.script("tx-1", MemoryResource.Script.FAIL);
    join("tx-1");
    var vote = calls.prepare("tx-1", RM);
    assertEquals(Vote.VOTE_NO, vote.getVote());
    assertTrue(vote.getReason().contains("disk on fire"), vote.getReason());
  }

  @Test
  void readOnlyVoteNeedsNoPhaseTwo() throws Exception {
    resource.script("tx-1", MemoryResource.Script.READ_ONLY);
    join("tx-1");
    assertEquals(Vote.VOTE_READ_ONLY, calls.prepare("tx-1", RM).getVote());
    calls.rollback("tx-1", RM);
    assertEquals(List.of("prepare tx-1"), resource.calls);
  }

  @Test
  void rollbackBeforePrepareMakesTheLatePrepareVoteNoAndTheLateJoinFail() throws Exception {
    calls.rollback("tx-1", RM);
    assertEquals(Vote.VOTE_NO, calls.prepare("tx-1", RM).getVote());
    assertThrows(Exception.class, () -> join("tx-1"));
    assertTrue(resource.calls.isEmpty(), "an empty rollback touches nothing");
  }

  @Test
  void rollbackOfActiveWorkAndPrepareOfUnknownTransaction() throws Exception {
    join("tx-1");
    calls.rollback("tx-1", RM);
    calls.rollback("tx-1", RM);
    assertEquals(List.of("rollback tx-1"), resource.calls);
    assertEquals(Vote.VOTE_NO, calls.prepare("tx-unknown", RM).getVote());
  }

  @Test
  void onePhaseCommitCommitsOrAnswersAborted() throws Exception {
    join("tx-1");
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1", RM, true).getOutcome());
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1", RM, true).getOutcome());
    resource.script("tx-2", MemoryResource.Script.NO);
    join("tx-2");
    assertEquals(Outcome.OUTCOME_ABORTED, calls.commit("tx-2", RM, true).getOutcome());
    assertEquals(Outcome.OUTCOME_ABORTED, calls.commit("tx-never", RM, true).getOutcome());
  }

  @Test
  void aOnePhaseDecisionSurvivesAFailedCommitAndARestart() throws Exception {
    resource.failCommit("tx-1");
    join("tx-1");
    RpcException e = assertThrows(RpcException.class, () -> calls.commit("tx-1", RM, true));
    assertEquals(GrpcStatus.UNAVAILABLE, e.status(), "an error, never ABORTED: the decision to commit is taken");
    RpcException noRollback = assertThrows(RpcException.class, () -> calls.rollback("tx-1", RM));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, noRollback.status());
    node.close().await(10, TimeUnit.SECONDS);

    MemoryResource afterRestart = new MemoryResource();
    node = startNode(afterRestart, LeaseCheck.NONE);
    await().atMost(Duration.ofSeconds(10)).until(() -> afterRestart.calls.contains("commit tx-1"));
    calls.close();
    calls = new ParticipantCalls(vertx, node.port());
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.commit("tx-1", RM, true).getOutcome());
  }

  @Test
  void lostLockLeaseVotesNo() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    node = startNode(resource, txId -> Future.succeededFuture(Optional.of("lease of lock 'acct-7' expired")));
    calls.close();
    calls = new ParticipantCalls(vertx, node.port());
    join("tx-1");
    var vote = calls.prepare("tx-1", RM);
    assertEquals(Vote.VOTE_NO, vote.getVote());
    assertTrue(vote.getReason().contains("acct-7"));
    assertEquals(List.of("rollback tx-1"), resource.calls, "the resource is not prepared");
  }

  @Test
  void aBranchNeverPreparedIsRolledBackAfterTheActiveTimeout() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    node = startNode(resource, LeaseCheck.NONE, Duration.ofMillis(200));
    calls.close();
    calls = new ParticipantCalls(vertx, node.port());
    join("tx-forgotten");
    join("tx-prepared");
    calls.prepare("tx-prepared", RM);
    await().atMost(Duration.ofSeconds(10)).until(() -> resource.calls.contains("rollback tx-forgotten"));
    assertEquals(Vote.VOTE_NO, calls.prepare("tx-forgotten", RM).getVote());
    assertTrue(resource.calls.stream().noneMatch(c -> c.equals("rollback tx-prepared")),
        "a prepared branch never times out: only the coordinator decides it");
  }

  @Test
  void theEndpointServesOverTls() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    node = ParticipantNode.builder(vertx, ParticipantOptions.defaults(Endpoint.parse(coordinator.endpoint()), dir))
        .resource(RM, resource)
        .serverOptions(new HttpServerOptions().setSsl(true).setUseAlpn(true).setKeyCertOptions(cert.keyCertOptions()))
        .start().await(20, TimeUnit.SECONDS);
    try (ParticipantCalls tls = new ParticipantCalls(vertx, node.port(),
        new HttpClientOptions().setSsl(true).setTrustOptions(cert.trustOptions()).setVerifyHost(false));
        ParticipantCalls plain = new ParticipantCalls(vertx, node.port())) {
      join("tx-1");
      assertEquals(Vote.VOTE_YES, tls.prepare("tx-1", RM).getVote());
      assertThrows(Exception.class, () -> plain.prepare("tx-1", RM), "plaintext is refused by a TLS endpoint");
    }
  }

  @Test
  void joinRejectsMalformedIdsAndUnknownParticipants() {
    assertThrows(IllegalArgumentException.class, () -> join(""));
    assertThrows(IllegalArgumentException.class, () -> join("x".repeat(257)));
    assertThrows(Exception.class, () -> node.join("nobody", "tx-1").await(10, TimeUnit.SECONDS));
    assertTrue(coordinator.enlisted.isEmpty());
  }

  @Test
  void malformedRequestsGetStatuses() {
    RpcException empty = assertThrows(RpcException.class, () -> calls.prepare("", RM));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, empty.status());
    RpcException unknown = assertThrows(RpcException.class, () -> calls.prepare("tx-1", "nobody"));
    assertEquals(GrpcStatus.NOT_FOUND, unknown.status());
    RpcException notPrepared = assertThrows(RpcException.class, () -> calls.commit("tx-1", RM, false));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, notPrepared.status());
  }

  @Test
  void concurrentDuplicatePreparesOfManyTransactionsPrepareEachOnce() throws Exception {
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      join("tx-" + i);
    }
    for (int i = 0; i < 50; i++) {
      all.add(calls.prepareAsync("tx-" + i, RM));
      all.add(calls.prepareAsync("tx-" + i, RM));
    }
    Future.all(all).await(30, TimeUnit.SECONDS);
    for (int i = 0; i < 50; i++) {
      assertEquals(1, resource.count("prepare tx-" + i));
    }
  }

  @Test
  void restartResolvesPreparedBranchesWithTheCoordinatorsAnswer() throws Exception {
    join("tx-c");
    join("tx-a");
    calls.prepare("tx-c", RM);
    calls.prepare("tx-a", RM);
    node.close().await(10, TimeUnit.SECONDS);

    MemoryResource afterRestart = new MemoryResource().holdPrepared("tx-c").holdPrepared("tx-a")
        .holdPrepared("tx-orphan");
    node = startNode(afterRestart, LeaseCheck.NONE);
    // The orphan was prepared in the resource but never voted yes: rolled back at once, without asking.
    await().atMost(Duration.ofSeconds(10)).until(() -> afterRestart.calls.contains("rollback tx-orphan"));
    await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.outcomeQueries.get() >= 4);
    assertEquals(2, node.inDoubt(), "pending answers keep both in doubt");
    assertEquals(2.0, registry.get("pledge.participant.in_doubt").gauge().value());
    assertTrue(afterRestart.calls.stream().noneMatch(c -> c.endsWith("tx-c") || c.endsWith("tx-a")),
        "a prepared participant never decides alone");

    coordinator.outcomes.put("tx-c", Outcome.OUTCOME_COMMITTED);
    coordinator.outcomes.put("tx-a", Outcome.OUTCOME_ABORTED);
    await().atMost(Duration.ofSeconds(10)).until(() -> node.inDoubt() == 0);
    assertEquals(0.0, registry.get("pledge.participant.in_doubt").gauge().value());
    assertTrue(afterRestart.calls.contains("commit tx-c"));
    assertTrue(afterRestart.calls.contains("rollback tx-a"));
  }
}
