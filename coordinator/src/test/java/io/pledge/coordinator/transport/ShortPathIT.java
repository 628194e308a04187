package io.pledge.coordinator.transport;

import static io.pledge.testkit.CoordinatorTestClient.id;
import static io.pledge.testkit.TestParticipant.BranchState.COMMITTED;
import static io.pledge.testkit.TestParticipant.BranchState.ROLLED_BACK;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.AbortCause;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.EnlistedParticipant;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ReserveTransactionIdsResponse;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.RpcException;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short path (issue 16) end to end: ids reserved in blocks, participants reported in Commit and Rollback instead
 * of enlisting, and the presumed abort of ids a restart or an expiry left unused. Real gRPC, a real H2 log, scripted
 * participants.
 */
class ShortPathIT {

  @TempDir
  Path dir;

  Vertx vertx;
  CoordinatorServer coordinator;
  CoordinatorTestClient client;
  TestParticipant a;
  TestParticipant b;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    coordinator = startCoordinator(Map.of());
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    a = TestParticipant.start(vertx, "bank-a");
    b = TestParticipant.start(vertx, "bank-b");
  }

  CoordinatorServer startCoordinator(Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>(Map.of("grpc.port", "0", "http.port", "0",
        "data.dir", dir.resolve("coordinator").toString(), "tx.prepare-timeout", "1s",
        "participant.retry-base", "20ms", "participant.retry-cap", "200ms", "participant.call-timeout", "1s"));
    settings.putAll(extra);
    return Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, settings)));
  }

  @AfterEach
  void stop() {
    client.close();
    a.close();
    b.close();
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  @Test
  void reportedParticipantsCommitWithoutEnlistOrBegin() {
    ReserveTransactionIdsResponse block = client.reserve(10);
    assertEquals(10, block.getCount());
    assertTrue(block.getExpiresEpochMs() > System.currentTimeMillis() + block.getDefaultTimeoutMs());
    String tx = id(block, 3);
    assertEquals(Outcome.OUTCOME_PENDING, client.outcome(tx), "a reserved id its client may still commit");
    assertEquals(TransactionState.TRANSACTION_STATE_ACTIVE, client.get(tx).getState());
    assertEquals(0, client.get(tx).getParticipantsCount());

    CommitResponse response = client.commit(tx, List.of(a, b));

    assertEquals(Outcome.OUTCOME_COMMITTED, response.getOutcome());
    await().until(() -> a.state(tx) == COMMITTED && b.state(tx) == COMMITTED);
    assertEquals(1, a.prepareCalls());
    assertEquals(2, client.get(tx).getParticipantsCount());
    // Repeating the Commit (a client that lost the answer) answers the same, enlisting nothing twice.
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx, List.of(a, b)).getOutcome());
    assertEquals(1, a.prepareCalls());
  }

  @Test
  void reportedAndEnlistedParticipantsMix() {
    String tx = id(client.reserve(1), 0);
    // A service called by a service enlists by a call: that begins the transaction of the reserved id.
    client.enlist(tx, b);
    assertEquals(TransactionState.TRANSACTION_STATE_ACTIVE, client.get(tx).getState());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx, List.of(a)).getOutcome());
    await().until(() -> a.state(tx) == COMMITTED && b.state(tx) == COMMITTED);
  }

  @Test
  void rollbackTellsTheReportedParticipants() {
    String tx = id(client.reserve(1), 0);
    assertEquals(Outcome.OUTCOME_ABORTED, client.rollback(tx, List.of(a, b)));
    await().until(() -> a.rollbackCalls() + a.completeCalls() > 0 && b.rollbackCalls() + b.completeCalls() > 0);
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(tx));
    // The id was used: a later Commit cannot begin it again (as for a Begun transaction rolled back).
    RpcException late = assertThrows(RpcException.class, () -> client.commit(tx, List.of(a, b)));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, late.status());
    assertTrue(late.getMessage().contains("ROLLED_BACK"), late.getMessage());
    assertEquals(0, a.prepareCalls());
  }

  @Test
  void noVoteOfAReportedParticipantAborts() {
    b.voteNoWhen(t -> true);
    String tx = id(client.reserve(1), 0);
    CommitResponse response = client.commit(tx, List.of(a, b));
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_VOTED_NO, response.getAbortReason().getCause());
    await().until(() -> a.state(tx) == ROLLED_BACK);
  }

  @Test
  void idsOfAnEarlierIncarnationArePresumedAborted() {
    ReserveTransactionIdsResponse block = client.reserve(5);
    String committed = id(block, 0);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(committed, List.of(a, b)).getOutcome());
    String unused = id(block, 1);

    Await.result(coordinator.close());
    coordinator = startCoordinator(Map.of());
    client.port(coordinator.grpcPort());

    CommitResponse late = client.commit(unused, List.of(a, b));
    assertEquals(Outcome.OUTCOME_ABORTED, late.getOutcome(), "a restart ends every unused id of its epoch");
    assertEquals(AbortCause.ABORT_CAUSE_COORDINATOR_RESTARTED, late.getAbortReason().getCause());
    assertNull(a.state(unused), "nobody was asked to prepare it");
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(unused));
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(committed).getOutcome(), "the log still knows it");
    ReserveTransactionIdsResponse next = client.reserve(5);
    assertTrue(!next.getTxIdPrefix().equals(block.getTxIdPrefix()), "a new epoch: " + next.getTxIdPrefix());
  }

  @Test
  void anIdUnusedPastItsBlocksExpiryIsPresumedAborted() {
    // Blocks live twice the default timeout: 2 s here.
    Await.result(coordinator.close());
    coordinator = startCoordinator(Map.of("tx.default-timeout", "1s"));
    client.port(coordinator.grpcPort());
    ReserveTransactionIdsResponse block = client.reserve(2);
    String tx = id(block, 0);
    assertEquals(Outcome.OUTCOME_PENDING, client.outcome(tx));

    await().atMost(Duration.ofSeconds(10)).until(() -> client.outcome(tx) == Outcome.OUTCOME_ABORTED);

    CommitResponse response = client.commit(tx, List.of(a, b));
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_TRANSACTION_TIMEOUT, response.getAbortReason().getCause());
    assertEquals(0, a.prepareCalls() + b.prepareCalls());
    RpcException enlist = assertThrows(RpcException.class, () -> client.enlist(id(block, 1), a));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, enlist.status());
  }

  @Test
  void badRequestsChangeNothing() {
    RpcException zero = assertThrows(RpcException.class, () -> client.reserve(0));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, zero.status());
    RpcException many = assertThrows(RpcException.class, () -> client.reserve(1001));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, many.status());
    assertTrue(many.getMessage().contains("1..1000"), many.getMessage());

    String tx = id(client.reserve(1), 0);
    CommitRequest bad = CommitRequest.newBuilder().setTxId(tx).addParticipants(EnlistedParticipant.newBuilder()
        .setParticipantId("bank-a").setEndpoint("not an endpoint")).build();
    RpcException refused = assertThrows(RpcException.class,
        () -> Await.result(client.callAsync(TransactionCoordinatorGrpcClient.Commit, bad)));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, refused.status());
    CommitRequest.Builder tooMany = CommitRequest.newBuilder().setTxId(tx);
    for (int i = 0; i < 65; i++) {
      tooMany.addParticipants(EnlistedParticipant.newBuilder().setParticipantId("p" + i).setEndpoint(a.endpoint()));
    }
    RpcException bound = assertThrows(RpcException.class,
        () -> Await.result(client.callAsync(TransactionCoordinatorGrpcClient.Commit, tooMany.build())));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, bound.status());
    // The same participant at two endpoints: refused before anything is enlisted or claimed.
    CommitRequest conflicting = CommitRequest.newBuilder().setTxId(tx)
        .addParticipants(EnlistedParticipant.newBuilder().setParticipantId("bank-a").setEndpoint(a.endpoint()))
        .addParticipants(EnlistedParticipant.newBuilder().setParticipantId("bank-a").setEndpoint(b.endpoint()))
        .build();
    RpcException conflict = assertThrows(RpcException.class,
        () -> Await.result(client.callAsync(TransactionCoordinatorGrpcClient.Commit, conflicting)));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, conflict.status());
    assertEquals(Outcome.OUTCOME_PENDING, client.outcome(tx), "still free");
    // Reported at another endpoint than it enlisted with: FAILED_PRECONDITION, the others not enlisted either.
    client.enlist(tx, a);
    CommitRequest moved = CommitRequest.newBuilder().setTxId(tx)
        .addParticipants(EnlistedParticipant.newBuilder().setParticipantId("bank-b").setEndpoint(b.endpoint()))
        .addParticipants(EnlistedParticipant.newBuilder().setParticipantId("bank-a").setEndpoint(b.endpoint()))
        .build();
    RpcException elsewhere = assertThrows(RpcException.class,
        () -> Await.result(client.callAsync(TransactionCoordinatorGrpcClient.Commit, moved)));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, elsewhere.status());
    assertEquals(1, client.get(tx).getParticipantsCount(), "bank-b was not enlisted by the refused Commit");
    assertEquals(0, a.prepareCalls() + b.prepareCalls());

    // A request refused before the id was claimed leaves it free: the proper Commit still begins it.
    String fresh = id(client.reserve(1), 0);
    assertThrows(RpcException.class,
        () -> Await.result(client.callAsync(TransactionCoordinatorGrpcClient.Commit, bad.toBuilder()
            .setTxId(fresh).build())));
    assertEquals(Outcome.OUTCOME_PENDING, client.outcome(fresh));
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(fresh, List.of(a, b)).getOutcome());
  }

  @Test
  void blocksRouteBackToTheManagerThatReservedThemOnSeveralEventLoops() {
    Await.result(coordinator.close());
    coordinator = startCoordinator(Map.of("server.event-loops", "2"));
    List<CoordinatorTestClient> clients = new java.util.ArrayList<>();
    try {
      for (int c = 0; c < 4; c++) {
        // Each connection lands on a loop in turn: blocks from both managers.
        clients.add(new CoordinatorTestClient(vertx, coordinator.grpcPort()));
      }
      java.util.Set<Long> slots = new java.util.HashSet<>();
      for (CoordinatorTestClient c : clients) {
        ReserveTransactionIdsResponse block = c.reserve(3);
        slots.add(block.getFirstSequence() / 1024);
        for (int i = 0; i < 3; i++) {
          String tx = id(block, i);
          assertEquals(Outcome.OUTCOME_COMMITTED, c.commit(tx, List.of(a, b)).getOutcome(), tx);
        }
      }
      assertTrue(slots.size() > 1, "blocks of more than one manager: slots " + slots);
      await().until(() -> a.ledger().values().stream().filter(s -> s == COMMITTED).count() == 12);
    } finally {
      clients.forEach(CoordinatorTestClient::close);
    }
  }

  @Test
  void idsNeverReservedAreNotFound() {
    ReserveTransactionIdsResponse block = client.reserve(1);
    String beyond = block.getTxIdPrefix() + (block.getFirstSequence() + 500);
    RpcException e = assertThrows(RpcException.class, () -> client.commit(beyond, List.of(a)));
    assertEquals(GrpcStatus.NOT_FOUND, e.status());
    assertEquals(0, a.prepareCalls());
  }

  @Test
  void aCallerHoldsBoundedBlocks() {
    RpcException refused = null;
    for (int i = 0; i < 100 && refused == null; i++) {
      try {
        client.reserve(1000);
      } catch (RpcException e) {
        refused = e;
      }
    }
    assertTrue(refused != null, "a caller reserving without using is bounded");
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, refused.status());
    assertTrue(refused.getMessage().contains("blocks"), refused.getMessage());
    // Begin still works: the bound is on reservations, not on transactions.
    client.begin();
  }

  @Test
  void aBlockWhoseIdsAreAllBegunNoLongerCounts() {
    // 64 blocks of one id, each used at once: the bound counts blocks with ids left, so the caller never hits it.
    for (int i = 0; i < 100; i++) {
      String tx = id(client.reserve(1), 0);
      assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx, List.of()).getOutcome());
    }
  }
}
