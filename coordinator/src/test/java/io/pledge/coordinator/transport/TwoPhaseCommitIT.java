package io.pledge.coordinator.transport;

import static io.pledge.testkit.TestParticipant.BranchState.COMMITTED;
import static io.pledge.testkit.TestParticipant.BranchState.READ_ONLY;
import static io.pledge.testkit.TestParticipant.BranchState.ROLLED_BACK;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.AbortCause;
import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol end to end: real gRPC on loopback, a real H2 log file, scripted participants. */
class TwoPhaseCommitIT {

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

  String txWith(TestParticipant... participants) {
    String tx = client.begin();
    for (TestParticipant p : participants) {
      assertFalse(client.enlist(tx, p));
    }
    return tx;
  }

  void awaitState(String tx, TransactionState state) {
    await().atMost(Duration.ofSeconds(10)).until(() -> client.get(tx).getState() == state);
  }

  @Test
  void twoParticipantsCommit() {
    String tx = txWith(a, b);
    CommitResponse response = client.commit(tx);
    assertEquals(Outcome.OUTCOME_COMMITTED, response.getOutcome());
    await().until(() -> a.state(tx) == COMMITTED && b.state(tx) == COMMITTED);
    awaitState(tx, TransactionState.TRANSACTION_STATE_COMMITTED);
    assertEquals(1, a.prepareCalls());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.outcome(tx));
  }

  @Test
  void singleParticipantGetsOnePhaseCommit() {
    String tx = txWith(a);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    assertEquals(COMMITTED, a.state(tx));
    assertEquals(0, a.prepareCalls(), "one-phase commit sends no prepare");
    assertEquals(1, a.commitCalls());
  }

  @Test
  void singleParticipantVotingNoAbortsOnePhase() {
    a.voteNoWhen(t -> true);
    String tx = txWith(a);
    CommitResponse response = client.commit(tx);
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_VOTED_NO, response.getAbortReason().getCause());
    assertEquals("bank-a", response.getAbortReason().getParticipantId());
  }

  @Test
  void readOnlyParticipantSkipsPhaseTwo() {
    b.readOnlyWhen(t -> true);
    String tx = txWith(a, b);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    await().until(() -> a.state(tx) == COMMITTED);
    awaitState(tx, TransactionState.TRANSACTION_STATE_COMMITTED);
    assertEquals(READ_ONLY, b.state(tx));
    assertEquals(0, b.commitCalls());
  }

  @Test
  void allReadOnlyCommitsWithoutPhaseTwo() {
    a.readOnlyWhen(t -> true);
    b.readOnlyWhen(t -> true);
    String tx = txWith(a, b);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    assertEquals(0, a.commitCalls() + b.commitCalls());
  }

  @Test
  void noVoteAbortsAndRollsBackTheOthers() {
    b.voteNoWhen(t -> true);
    String tx = txWith(a, b);
    CommitResponse response = client.commit(tx);
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_VOTED_NO, response.getAbortReason().getCause());
    assertEquals("bank-b", response.getAbortReason().getParticipantId());
    assertTrue(response.getAbortReason().getDetail().contains("scripted no vote"));
    await().until(() -> a.state(tx) == ROLLED_BACK);
    awaitState(tx, TransactionState.TRANSACTION_STATE_ROLLED_BACK);
  }

  @Test
  void stalledPrepareTimesOut() {
    b.stallPrepareWhen(t -> true);
    String tx = txWith(a, b);
    CommitResponse response = client.commit(tx);
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_PREPARE_TIMEOUT, response.getAbortReason().getCause());
    assertEquals("bank-b", response.getAbortReason().getParticipantId());
    await().until(() -> a.state(tx) == ROLLED_BACK && b.state(tx) == ROLLED_BACK);
  }

  @Test
  void failedPrepareAborts() {
    a.failPrepareWhen(t -> true);
    String tx = txWith(a, b);
    CommitResponse response = client.commit(tx);
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_PREPARE_FAILED, response.getAbortReason().getCause());
    assertTrue(response.getAbortReason().getDetail().contains("scripted prepare failure"),
        response.getAbortReason().getDetail());
    await().until(() -> b.state(tx) == ROLLED_BACK);
  }

  @Test
  void unreachableParticipantAbortsPrepare() {
    String tx = client.begin();
    client.enlist(tx, a);
    Await.result(client.enlistAsync(tx, "gone", "127.0.0.1:1"));
    CommitResponse response = client.commit(tx);
    assertEquals(Outcome.OUTCOME_ABORTED, response.getOutcome());
    assertEquals("gone", response.getAbortReason().getParticipantId());
    await().until(() -> a.state(tx) == ROLLED_BACK);
  }

  @Test
  void phaseTwoIsRetriedUntilAcknowledged() {
    a.failPhaseTwo(3);
    String tx = txWith(a, b);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    await().atMost(Duration.ofSeconds(10)).until(() -> a.state(tx) == COMMITTED);
    awaitState(tx, TransactionState.TRANSACTION_STATE_COMMITTED);
    assertEquals(4, a.commitCalls());
  }

  @Test
  void repeatedCommitReturnsTheSameOutcome() {
    String committed = txWith(a, b);
    client.commit(committed);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(committed).getOutcome());

    b.voteNoWhen(t -> true);
    String aborted = txWith(a, b);
    CommitResponse first = client.commit(aborted);
    CommitResponse second = client.commit(aborted);
    assertEquals(Outcome.OUTCOME_ABORTED, second.getOutcome());
    assertEquals(first.getAbortReason(), second.getAbortReason());
  }

  @Test
  void concurrentCommitsOfOneTransactionAgree() {
    String tx = txWith(a, b);
    var first = client.commitAsync(tx);
    var second = client.commitAsync(tx);
    assertEquals(Outcome.OUTCOME_COMMITTED, Await.result(first).getOutcome());
    assertEquals(Outcome.OUTCOME_COMMITTED, Await.result(second).getOutcome());
    assertEquals(1, a.prepareCalls());
  }

  @Test
  void rollbackTellsEveryParticipant() {
    String tx = txWith(a, b);
    assertEquals(Outcome.OUTCOME_ABORTED, client.rollback(tx));
    await().until(() -> a.state(tx) == ROLLED_BACK && b.state(tx) == ROLLED_BACK);
    assertEquals(Outcome.OUTCOME_ABORTED, client.rollback(tx), "rollback is idempotent");
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(tx));
  }

  @Test
  void expiredTransactionIsAbortedByTheReaper() {
    String tx = Await.result(client.beginAsync(300, Map.of()));
    client.enlist(tx, a);
    awaitState(tx, TransactionState.TRANSACTION_STATE_ROLLED_BACK);
    assertEquals(AbortCause.ABORT_CAUSE_TRANSACTION_TIMEOUT, client.get(tx).getAbortReason().getCause());
    await().until(() -> a.state(tx) == ROLLED_BACK);
  }

  @Test
  void enlistIsIdempotentAndTellsTheDeadline() {
    String tx = txWith(a);
    assertTrue(client.enlist(tx, a));
    assertEquals(1, client.get(tx).getParticipantsCount());
    long deadline = Await.result(client.enlistResponseAsync(tx, b.id(), b.endpoint())).getDeadlineEpochMs();
    assertEquals(client.get(tx).getDeadlineEpochMs(), deadline);
  }

  @Test
  void transactionWithoutParticipantsCommits() {
    String tx = client.begin();
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
  }

  @Test
  void listPagesThroughTransactionsByState() {
    for (int i = 0; i < 5; i++) {
      client.begin();
    }
    String committed = client.begin();
    client.commit(committed);
    ListTransactionsRequest activeOnly = ListTransactionsRequest.newBuilder()
        .addStates(TransactionState.TRANSACTION_STATE_ACTIVE).setPageSize(2).build();
    ListTransactionsResponse page1 = client.list(activeOnly);
    assertEquals(2, page1.getTransactionsCount());
    ListTransactionsResponse page2 = client.list(activeOnly.toBuilder().setPageToken(page1.getNextPageToken()).build());
    ListTransactionsResponse page3 = client.list(activeOnly.toBuilder().setPageToken(page2.getNextPageToken()).build());
    assertEquals(2, page2.getTransactionsCount());
    assertEquals(1, page3.getTransactionsCount());
    assertEquals("", page3.getNextPageToken());
    assertTrue(page1.getTransactions(0).getTxId().compareTo(page2.getTransactions(0).getTxId()) != 0);
    List<String> all = client.list(ListTransactionsRequest.getDefaultInstance()).getTransactionsList().stream()
        .map(t -> t.getTxId()).toList();
    assertTrue(all.contains(committed));
  }

  @Test
  void labelsAreKept() {
    String tx = Await.result(client.beginAsync(0, Map.of("order", "42")));
    assertEquals("42", client.get(tx).getLabelsMap().get("order"));
  }

  @Test
  void outcomesSurviveARestartAndUnknownEarlierTransactionsArePresumedAborted() {
    String committed = txWith(a, b);
    client.commit(committed);
    awaitState(committed, TransactionState.TRANSACTION_STATE_COMMITTED);
    String abandoned = txWith(a, b);
    String empty = client.begin();
    client.commit(empty);
    Await.result(coordinator.close());

    coordinator = startCoordinator(Map.of());
    client.port(coordinator.grpcPort());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.outcome(committed));
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(committed).getOutcome());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(empty).getOutcome(), "no participants, still recorded");
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(abandoned));
    CommitResponse late = client.commit(abandoned);
    assertEquals(Outcome.OUTCOME_ABORTED, late.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_COORDINATOR_RESTARTED, late.getAbortReason().getCause());
    assertTrue(client.begin().split(":")[1].equals("2"), "a restart takes a new epoch");
  }

  @Test
  void metricsAreExposed() {
    String tx = txWith(a, b);
    client.commit(tx);
    String metrics = Await.result(vertx.createHttpClient().request(io.vertx.core.http.HttpMethod.GET,
        coordinator.httpPort(), "127.0.0.1", "/metrics").compose(r -> r.send()).compose(r -> r.body())).toString();
    assertTrue(metrics.contains("pledge_transactions_committed_total 1.0"), metrics);
    assertTrue(metrics.contains("pledge_commit_latency_seconds_bucket"));
    assertTrue(metrics.contains("pledge_prepare_latency_seconds_count{participant=\"bank-a\"}"));
    assertTrue(metrics.contains("pledge_log_sync_latency_seconds"));
    assertTrue(metrics.contains("pledge_log_batch_size"));
    assertTrue(metrics.contains("pledge_transactions_in_doubt"));
    assertNull(a.state("never"));
  }
}
