package io.pledge.participant.support;

import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.BeginResponse;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.EnlistResponse;
import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.GetOutcomeResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.RollbackRequest;
import io.pledge.api.v1.RollbackResponse;
import io.pledge.api.v1.TransactionCoordinatorGrpcService;
import io.pledge.api.v1.TransactionCoordinatorService;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted stand-in for the coordinator, for unit tests of the client and of recovery only: it records
 * enlistments, answers GetOutcome from a table and Commit with a scripted outcome. It runs no protocol.
 */
public final class FakeCoordinator extends TransactionCoordinatorService implements AutoCloseable {

  public final List<EnlistRequest> enlisted = new CopyOnWriteArrayList<>();
  public final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
  /** The deadline Enlist reports per transaction (epoch ms); none means 0 (not said). */
  public final Map<String, Long> deadlines = new ConcurrentHashMap<>();
  public final Map<String, GrpcStatus> failures = new ConcurrentHashMap<>();
  public final AtomicInteger outcomeQueries = new AtomicInteger();
  /** Commit answers only after this long (a coordinator waiting for slow votes). */
  public volatile long commitDelayMs;
  private Vertx vertx;
  private final AtomicInteger seq = new AtomicInteger();
  private HttpServer server;

  public static FakeCoordinator start(Vertx vertx, int port) throws Exception {
    FakeCoordinator fake = new FakeCoordinator();
    fake.vertx = vertx;
    GrpcServer grpc = GrpcServer.server(vertx);
    grpc.addService(TransactionCoordinatorGrpcService.of(fake));
    fake.server = vertx.createHttpServer().requestHandler(grpc).listen(port, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    return fake;
  }

  public int port() {
    return server.actualPort();
  }

  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  @Override
  public Future<BeginResponse> begin(BeginRequest request) {
    return failOr("begin", () -> BeginResponse.newBuilder().setTxId("fake-0:1:" + seq.incrementAndGet()).build());
  }

  @Override
  public Future<EnlistResponse> enlist(EnlistRequest request) {
    return failOr(request.getTxId(), () -> {
      enlisted.add(request);
      return EnlistResponse.newBuilder().setDeadlineEpochMs(deadlines.getOrDefault(request.getTxId(), 0L)).build();
    });
  }

  @Override
  public Future<CommitResponse> commit(CommitRequest request) {
    Future<Void> delay = commitDelayMs > 0 ? vertx.timer(commitDelayMs).mapEmpty() : Future.succeededFuture();
    return delay.compose(v -> failOr(request.getTxId(), () -> CommitResponse.newBuilder()
        .setOutcome(outcomes.getOrDefault(request.getTxId(), Outcome.OUTCOME_COMMITTED)).build()));
  }

  @Override
  public Future<RollbackResponse> rollback(RollbackRequest request) {
    return failOr(request.getTxId(),
        () -> RollbackResponse.newBuilder().setOutcome(Outcome.OUTCOME_ABORTED).build());
  }

  @Override
  public Future<GetOutcomeResponse> getOutcome(GetOutcomeRequest request) {
    outcomeQueries.incrementAndGet();
    return failOr(request.getTxId(), () -> GetOutcomeResponse.newBuilder()
        .setOutcome(outcomes.getOrDefault(request.getTxId(), Outcome.OUTCOME_PENDING)).build());
  }

  private <T> Future<T> failOr(String key, java.util.function.Supplier<T> answer) {
    GrpcStatus status = failures.get(key);
    return status != null ? Rpc.fail(status, "scripted failure for " + key) : Future.succeededFuture(answer.get());
  }

  @Override
  public void close() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
  }
}
