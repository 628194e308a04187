package io.pledge.participant.recovery;

import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.vertx.core.Future;
import java.time.Duration;

/** {@link OutcomeSource} over the coordinator's {@code GetOutcome}. */
public final class CoordinatorOutcomes implements OutcomeSource {

  private final CallSessions calls;
  private final Endpoint coordinator;
  private final Duration timeout;

  public CoordinatorOutcomes(CallSessions calls, Endpoint coordinator, Duration timeout) {
    this.calls = calls;
    this.coordinator = coordinator;
    this.timeout = timeout;
  }

  @Override
  public Future<Answer> outcome(String txId, String participantId) {
    GetOutcomeRequest request = GetOutcomeRequest.newBuilder().setTxId(txId).setParticipantId(participantId).build();
    return calls.call(coordinator.toSocketAddress(), TransactionCoordinatorGrpcClient.GetOutcome, request, timeout)
        .compose(response -> switch (response.getOutcome()) {
          case OUTCOME_COMMITTED -> Future.succeededFuture(Answer.COMMITTED);
          case OUTCOME_ABORTED -> Future.succeededFuture(Answer.ABORTED);
          case OUTCOME_PENDING -> Future.succeededFuture(Answer.PENDING);
          default -> Future.failedFuture(new IllegalStateException(
              "coordinator answered GetOutcome for " + txId + " with " + response.getOutcome()));
        });
  }
}
