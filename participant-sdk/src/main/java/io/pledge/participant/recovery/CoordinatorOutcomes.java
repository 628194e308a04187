package io.pledge.participant.recovery;

import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.LeaderEndpoints;
import io.vertx.core.Future;
import java.time.Duration;

/** {@link OutcomeSource} over the coordinator's {@code GetOutcome}. */
public final class CoordinatorOutcomes implements OutcomeSource {

  private final CallSessions calls;
  private final Endpoint coordinator;
  private final Duration timeout;
  /** A coordinator cluster's members; null for a single coordinator. */
  private final LeaderEndpoints cluster;

  public CoordinatorOutcomes(CallSessions calls, Endpoint coordinator, Duration timeout) {
    this(calls, coordinator, timeout, null);
  }

  /** Asks a coordinator cluster's leader, found from its members (see {@link LeaderEndpoints}). */
  public CoordinatorOutcomes(CallSessions calls, LeaderEndpoints cluster, Duration timeout) {
    this(calls, cluster.current(), timeout, cluster);
  }

  private CoordinatorOutcomes(CallSessions calls, Endpoint coordinator, Duration timeout, LeaderEndpoints cluster) {
    this.calls = calls;
    this.coordinator = coordinator;
    this.timeout = timeout;
    this.cluster = cluster;
  }

  @Override
  public Future<Answer> outcome(String txId, String participantId) {
    GetOutcomeRequest request = GetOutcomeRequest.newBuilder().setTxId(txId).setParticipantId(participantId).build();
    Future<io.pledge.api.v1.GetOutcomeResponse> answer = cluster == null
        ? calls.call(coordinator.toSocketAddress(), TransactionCoordinatorGrpcClient.GetOutcome, request, timeout)
        : cluster.call(timeout, leader -> calls.call(leader.toSocketAddress(),
            TransactionCoordinatorGrpcClient.GetOutcome, request, timeout));
    return answer.compose(response -> switch (response.getOutcome()) {
          case OUTCOME_COMMITTED -> Future.succeededFuture(Answer.COMMITTED);
          case OUTCOME_ABORTED -> Future.succeededFuture(Answer.ABORTED);
          case OUTCOME_PENDING -> Future.succeededFuture(Answer.PENDING);
          default -> Future.failedFuture(new IllegalStateException(
              "coordinator answered GetOutcome for " + txId + " with " + response.getOutcome()));
        });
  }
}
