package io.pledge.participant.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.Outcome;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.RpcException;
import io.pledge.participant.support.FakeCoordinator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Client logic against a scripted coordinator over real gRPC (the real coordinator is in the *IT tests). */
class TransactionClientTest {

  private Vertx vertx;
  private FakeCoordinator coordinator;
  private TransactionClient client;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = FakeCoordinator.start(vertx, 0);
    client = TransactionClient.create(vertx, Endpoint.parse(coordinator.endpoint()), Duration.ofSeconds(5));
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(Future<?> f) {
    return assertThrows(Exception.class, () -> f.await(10, TimeUnit.SECONDS));
  }

  @Test
  void inTransactionCommitsOnSuccess() throws Exception {
    TxResult<String> result = await(client.inTransaction(txId -> Future.succeededFuture("did " + txId)));
    assertTrue(result.committed());
    assertEquals("did " + result.outcome().txId(), result.value());
  }

  @Test
  void inTransactionRollsBackOnFailureAndReportsIt() throws Exception {
    TxResult<String> result = await(client.<String>inTransaction(txId -> {
      throw new IllegalStateException("service said no");
    }));
    assertFalse(result.committed());
    assertEquals("service said no", result.workFailure().orElseThrow().getMessage());
  }

  @Test
  void commitOutwaitsTheCallTimeoutBecauseVotesMayTakeThePrepareTimeout() throws Exception {
    try (TransactionClient impatient = TransactionClient.create(vertx, Endpoint.parse(coordinator.endpoint()),
        Duration.ofMillis(200))) {
      String txId = await(impatient.begin());
      coordinator.commitDelayMs = 1_000;
      assertEquals(TxOutcome.Status.COMMITTED, await(impatient.commit(txId)).status());
    }
  }

  @Test
  void anAbortedCommitIsAnOutcomeNotAnException() throws Exception {
    String txId = await(client.begin());
    coordinator.outcomes.put(txId, Outcome.OUTCOME_ABORTED);
    assertEquals(TxOutcome.Status.ABORTED, await(client.commit(txId)).status());
  }

  @Test
  void statusesBecomeTypedExceptions() throws Exception {
    coordinator.failures.put("tx-gone", GrpcStatus.NOT_FOUND);
    coordinator.failures.put("tx-done", GrpcStatus.FAILED_PRECONDITION);
    assertInstanceOf(TransactionUnknownException.class, failure(client.commit("tx-gone")));
    PledgeException finished = (PledgeException) failure(client.rollback("tx-done"));
    assertInstanceOf(TransactionFinishedException.class, finished);
    assertEquals("tx-done", finished.txId());
    assertTrue(finished.getMessage().contains("scripted failure"), finished.getMessage());
    assertInstanceOf(TransactionTimeoutException.class, TransactionClient.ClientErrors.map("tx",
        new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "")));
  }

  @Test
  void anUnreachableCoordinatorIsCoordinatorUnavailable() throws Exception {
    int freePort;
    try (ServerSocket s = new ServerSocket(0)) {
      freePort = s.getLocalPort();
    }
    try (TransactionClient lost = TransactionClient.create(vertx, new Endpoint("127.0.0.1", freePort))) {
      assertInstanceOf(CoordinatorUnavailableException.class, failure(lost.begin()));
    }
  }
}
