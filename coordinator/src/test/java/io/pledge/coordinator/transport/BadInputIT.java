package io.pledge.coordinator.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.RpcException;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed or ill-timed request gets a status with a clear message, and changes nothing. */
class BadInputIT {

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
        "grpc.port", "0", "http.port", "0", "data.dir", dir.toString()))));
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

  static void assertStatus(GrpcStatus status, String messagePart, Future<?> call) {
    Throwable failure = Await.failure(call);
    assertTrue(failure instanceof RpcException, "expected a status, got " + failure);
    RpcException e = (RpcException) failure;
    assertEquals(status, e.status(), e.getMessage());
    assertTrue(e.detail().contains(messagePart), "message '" + e.detail() + "' should mention '" + messagePart + "'");
  }

  @Test
  void unknownTransactionIsNotFound() {
    String unknown = "coord-0:1:999999";
    assertStatus(GrpcStatus.NOT_FOUND, "coord-0:1:999999", client.commitAsync(unknown));
    assertStatus(GrpcStatus.NOT_FOUND, "coord-0:1:999999", client.getAsync(unknown));
    assertStatus(GrpcStatus.NOT_FOUND, "coord-0:1:999999", client.rollbackAsync(unknown));
    assertStatus(GrpcStatus.NOT_FOUND, "coord-0:1:999999", client.enlistAsync(unknown, "p", "127.0.0.1:9"));
  }

  @Test
  void transactionOfAnotherCoordinatorIsRefused() {
    // coordinator.proto: NOT_FOUND is "unknown transaction"; this coordinator knows nothing of another's.
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.commitAsync("other:1:1"));
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.getAsync("other:1:1"));
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.rollbackAsync("other:1:1"));
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other", client.outcomeAsync("other:1:1"));
  }

  @Test
  void malformedIdsAreInvalid() {
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "tx_id is empty", client.commitAsync(""));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "node:epoch:sequence", client.commitAsync("not-an-id"));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "non-numeric", client.outcomeAsync("coord-0:x:1"));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "longer than", client.getAsync("c".repeat(200)));
  }

  @Test
  void badEnlistmentsAreInvalidAndChangeNothing() {
    String tx = client.begin();
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "participant_id is empty", client.enlistAsync(tx, "", a.endpoint()));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "not host:port", client.enlistAsync(tx, "p", "localhost"));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "out of range", client.enlistAsync(tx, "p", "localhost:70000"));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "endpoint is empty", client.enlistAsync(tx, "p", ""));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "longer than", client.enlistAsync(tx, "p".repeat(300), a.endpoint()));
    assertEquals(0, client.get(tx).getParticipantsCount());
    client.enlist(tx, a);
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "already enlisted with endpoint",
        client.enlistAsync(tx, a.id(), "127.0.0.1:1"));
    assertEquals(1, client.get(tx).getParticipantsCount());
  }

  @Test
  void timeoutOutOfRangeIsInvalid() {
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "timeout_ms -1 is out of range", client.beginAsync(-1, Map.of()));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "out of range", client.beginAsync(Long.MAX_VALUE, Map.of()));
  }

  @Test
  void oversizedLabelsAreInvalid() {
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 17; i++) {
      many.put("k" + i, "v");
    }
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "too many labels", client.beginAsync(0, many));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "longer than 256",
        client.beginAsync(0, Map.of("k", "v".repeat(257))));
  }

  @Test
  void commitOfARolledBackTransactionSaysItsState() {
    String tx = client.begin();
    client.enlist(tx, a);
    client.rollback(tx);
    // Rollback answers once decided; phase 2 (telling the participant) finishes in the background.
    await().atMost(Duration.ofSeconds(10))
        .until(() -> client.get(tx).getState() == TransactionState.TRANSACTION_STATE_ROLLED_BACK);
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "ROLLED_BACK", client.commitAsync(tx));
    assertEquals(TransactionState.TRANSACTION_STATE_ROLLED_BACK, client.get(tx).getState());
  }

  @Test
  void enlistAfterCommitBeganSaysTheState() {
    String tx = client.begin();
    client.enlist(tx, a);
    client.commit(tx);
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "COMMITTED",
        client.enlistAsync(tx, "late", "127.0.0.1:9"));
  }

  @Test
  void rollbackAfterCommitIsRefused() {
    String tx = client.begin();
    client.enlist(tx, a);
    client.commit(tx);
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "COMMITTED", client.rollbackAsync(tx));
  }

  @Test
  void badPageRequestsAreInvalid() {
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "page_size", Future.succeededFuture().compose(v -> {
      client.list(ListTransactionsRequest.newBuilder().setPageSize(5000).build());
      return Future.succeededFuture();
    }));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "state filter", Future.succeededFuture().compose(v -> {
      client.list(ListTransactionsRequest.newBuilder().addStatesValue(42).build());
      return Future.succeededFuture();
    }));
  }
}
