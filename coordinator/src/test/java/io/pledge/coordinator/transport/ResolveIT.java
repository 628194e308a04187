package io.pledge.coordinator.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.AbortCause;
import io.pledge.api.v1.CoordinatorAdminGrpcClient;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ParticipantInfo;
import io.pledge.api.v1.Resolution;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.ResolveResponse;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CoordinatorAdmin.Resolve on a real coordinator over gRPC: bad input, refusals that change nothing, a rollback by
 * hand, and a transaction stuck in phase 2 on a participant that never acknowledges, ended by hand and still
 * recorded so after a restart.
 */
class ResolveIT {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static CoordinatorServer coordinator;
  static CoordinatorTestClient client;
  static GrpcClient admin;
  static TestParticipant ok;
  static TestParticipant gone;

  static Config config() {
    return Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0", "http.port", "0", "data.dir", dir.toString(),
        "participant.retry-cap", "200ms"));
  }

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    coordinator = Await.result(CoordinatorServer.start(vertx, config()));
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    admin = GrpcClient.client(vertx, GrpcTransport.of(new HttpClientOptions()));
    ok = TestParticipant.start(vertx, "bank-a");
    gone = TestParticipant.start(vertx, "bank-gone").failPhaseTwo(Integer.MAX_VALUE);
  }

  @AfterAll
  static void stop() {
    client.close();
    Await.result(admin.close());
    ok.close();
    gone.close();
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  static Future<ResolveResponse> resolve(String txId, Resolution resolution, String reason) {
    return Rpc.call(admin, SocketAddress.inetSocketAddress(coordinator.grpcPort(), "127.0.0.1"),
        CoordinatorAdminGrpcClient.Resolve, ResolveRequest.newBuilder().setTxId(txId).setResolution(resolution)
            .setReason(reason).build(), Duration.ofSeconds(30));
  }

  static void assertStatus(GrpcStatus status, String messagePart, Future<?> call) {
    Throwable failure = Await.failure(call);
    assertTrue(failure instanceof RpcException, "expected a status, got " + failure);
    RpcException e = (RpcException) failure;
    assertEquals(status, e.status(), e.getMessage());
    assertTrue(e.detail().contains(messagePart), "message '" + e.detail() + "' should mention '" + messagePart + "'");
  }

  static double resolutions(String outcome) {
    return coordinator.registry().get("pledge.operator.resolutions").tag("outcome", outcome).counter().count();
  }

  @Test
  void malformedRequestsAreInvalid() {
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "tx_id is empty", resolve("", Resolution.RESOLUTION_ROLLBACK, ""));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "not of the form node:epoch:sequence",
        resolve("nonsense", Resolution.RESOLUTION_ROLLBACK, ""));
    String tx = client.begin();
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "resolution must be COMMIT or ROLLBACK",
        resolve(tx, Resolution.RESOLUTION_UNSPECIFIED, ""));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "reason is longer than 256",
        resolve(tx, Resolution.RESOLUTION_ROLLBACK, "x".repeat(257)));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, "control character",
        resolve(tx, Resolution.RESOLUTION_ROLLBACK, "a\u0007b"));
    assertEquals(TransactionState.TRANSACTION_STATE_ACTIVE, client.get(tx).getState(), "a refusal changes nothing");
  }

  @Test
  void unknownAndForeignTransactions() {
    // An epoch this coordinator has not reached: never begun here, whatever ran before (a restart included).
    assertStatus(GrpcStatus.NOT_FOUND, "no transaction coord-0:999:1 was begun here",
        resolve("coord-0:999:1", Resolution.RESOLUTION_ROLLBACK, ""));
    assertStatus(GrpcStatus.NOT_FOUND, "belongs to coordinator other",
        resolve("other:1:1", Resolution.RESOLUTION_COMMIT, ""));
  }

  @Test
  void finishedTransactionsAreRefusedNamingTheirState() {
    String tx = client.begin();
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "is already COMMITTED (finished)",
        resolve(tx, Resolution.RESOLUTION_ROLLBACK, ""));
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "is already COMMITTED (finished)",
        resolve(tx, Resolution.RESOLUTION_COMMIT, ""));
  }

  @Test
  void anActiveTransactionCanOnlyBeRolledBack() {
    String tx = client.begin();
    client.enlist(tx, ok);
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "only rollback is possible",
        resolve(tx, Resolution.RESOLUTION_COMMIT, ""));
    double before = resolutions("rollback");
    ResolveResponse r = Await.result(resolve(tx, Resolution.RESOLUTION_ROLLBACK, "OPS-1 stuck client"));
    assertEquals(AbortCause.ABORT_CAUSE_OPERATOR, r.getTransaction().getAbortReason().getCause());
    assertEquals("rolled back by an operator: OPS-1 stuck client", r.getTransaction().getAbortReason().getDetail());
    assertTrue(r.getForgottenList().isEmpty());
    await().untilAsserted(() -> assertEquals(TestParticipant.BranchState.ROLLED_BACK, ok.state(tx)));
    await().untilAsserted(() -> assertEquals(TransactionState.TRANSACTION_STATE_ROLLED_BACK,
        client.get(tx).getState()));
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(tx));
    assertEquals(before + 1, resolutions("rollback"));
  }

  @Test
  void aCommitStuckInPhaseTwoIsEndedByHandAndStaysSoAcrossARestart() {
    String tx = client.begin();
    client.enlist(tx, ok);
    client.enlist(tx, gone);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    await().untilAsserted(() -> assertTrue(gone.commitCalls() >= 2 && ok.state(tx) != null
        && client.get(tx).getParticipantsList().stream().filter(ParticipantInfo::getFinished).count() == 1));
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTING, client.get(tx).getState());

    assertStatus(GrpcStatus.FAILED_PRECONDITION, "decided COMMIT, logged; a decision cannot be reversed",
        resolve(tx, Resolution.RESOLUTION_ROLLBACK, ""));
    double before = resolutions("commit");
    ResolveResponse r = Await.result(resolve(tx, Resolution.RESOLUTION_COMMIT, "bank-gone decommissioned"));
    assertEquals(java.util.List.of("bank-gone"), r.getForgottenList());
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, r.getTransaction().getState());
    assertForgottenOnlyGone(r.getTransaction());
    assertEquals(before + 1, resolutions("commit"));
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "already COMMITTED", resolve(tx, Resolution.RESOLUTION_COMMIT, ""));

    Await.result(coordinator.close());
    coordinator = Await.result(CoordinatorServer.start(vertx, config()));
    client.port(coordinator.grpcPort());
    TransactionInfo after = client.get(tx);
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, after.getState());
    assertForgottenOnlyGone(after);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.outcome(tx), "a forgotten participant that asks still learns");
    assertStatus(GrpcStatus.FAILED_PRECONDITION, "already COMMITTED", resolve(tx, Resolution.RESOLUTION_ROLLBACK, ""));
  }

  static void assertForgottenOnlyGone(TransactionInfo tx) {
    for (ParticipantInfo p : tx.getParticipantsList()) {
      assertTrue(p.getFinished(), p.toString());
      assertEquals(p.getParticipantId().equals("bank-gone"), p.getForgotten(), p.toString());
    }
    assertFalse(tx.getParticipantsList().isEmpty());
  }
}
