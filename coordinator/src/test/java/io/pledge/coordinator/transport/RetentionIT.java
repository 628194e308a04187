package io.pledge.coordinator.transport;

import static io.pledge.coordinator.transport.BadInputIT.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 9: what coordinator.proto promises for a transaction does not change when it leaves memory
 * ({@code memory.finished-retention}, here 100 ms).
 */
class RetentionIT {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static CoordinatorServer coordinator;
  static CoordinatorTestClient client;
  static TestParticipant a;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    coordinator = Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
        "grpc.port", "0", "http.port", "0", "data.dir", dir.toString(), "memory.finished-retention", "100ms"))));
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    a = TestParticipant.start(vertx, "bank-a");
  }

  @AfterAll
  static void stop() {
    client.close();
    a.close();
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  static void awaitLeftMemory(String txId) {
    Awaitility.await(txId + " to leave memory").atMost(Duration.ofSeconds(10)).until(() ->
        client.list(ListTransactionsRequest.newBuilder().setPageSize(1000).build()).getTransactionsList().stream()
            .noneMatch(t -> t.getTxId().equals(txId)));
  }

  @Test
  void aTransactionRolledBackWhileActiveStaysRolledBack() {
    String tx = client.begin();
    assertEquals(Outcome.OUTCOME_ABORTED, client.rollback(tx));
    awaitLeftMemory(tx);
    assertEquals(TransactionState.TRANSACTION_STATE_ROLLED_BACK, client.get(tx).getState());
    assertEquals(Outcome.OUTCOME_ABORTED, client.rollback(tx), "Rollback is idempotent on an aborted one");
    assertEquals(Outcome.OUTCOME_ABORTED, client.commit(tx).getOutcome());
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(tx));
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "ROLLED_BACK", client.enlistAsync(tx, "p", "127.0.0.1:1"));
  }

  @Test
  void aCommittedTransactionKeepsItsLabelsAndBegunTime() {
    long before = System.currentTimeMillis();
    String tx = Await.result(client.beginAsync(0, Map.of("order", "o-17", "user", "ada")));
    client.enlist(tx, a);
    CommitResponse committed = client.commit(tx);
    assertEquals(Outcome.OUTCOME_COMMITTED, committed.getOutcome());
    TransactionInfo inMemory = client.get(tx);
    awaitLeftMemory(tx);
    TransactionInfo fromLog = client.get(tx);
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, fromLog.getState());
    assertEquals(Map.of("order", "o-17", "user", "ada"), fromLog.getLabelsMap());
    assertEquals(inMemory.getBegunEpochMs(), fromLog.getBegunEpochMs());
    assertTrue(fromLog.getBegunEpochMs() >= before, "begun " + fromLog.getBegunEpochMs());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome(), "Commit repeated: same outcome");
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "COMMITTED", client.rollbackAsync(tx));
  }

  @Test
  void aCommitWithoutParticipantsKeepsItsLabelsToo() {
    String tx = Await.result(client.beginAsync(0, Map.of("kind", "empty")));
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    awaitLeftMemory(tx);
    TransactionInfo fromLog = client.get(tx);
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, fromLog.getState());
    assertEquals(Map.of("kind", "empty"), fromLog.getLabelsMap());
    assertTrue(fromLog.getBegunEpochMs() > 0);
  }

  @Test
  void anotherCoordinatorsTransactionIsNotFound() {
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.getAsync("other:1:1"));
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.commitAsync("other:1:1"));
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.rollbackAsync("other:1:1"));
  }
}
