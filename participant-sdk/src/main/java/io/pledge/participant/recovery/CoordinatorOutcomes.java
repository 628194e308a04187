package io.pledge.participant.recovery;

import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.Map;

/** {@link OutcomeSource} over the coordinator's {@code GetOutcome}. */
public final class CoordinatorOutcomes implements OutcomeSource {

  private final GrpcClient client;
  private final Endpoint coordinator;
  private final Duration timeout;
  private final Map<String, String> credentials;

  /** @param credentials metadata sent with every call (per-call credentials); empty for none */
  public CoordinatorOutcomes(GrpcClient client, Endpoint coordinator, Duration timeout,
      Map<String, String> credentials) {
    this.client = client;
    this.coordinator = coordinator;
    this.timeout = timeout;
    this.credentials = Map.copyOf(credentials);
  }

  @Override
  public Future<Answer> outcome(String txId, String participantId) {
    GetOutcomeRequest request = GetOutcomeRequest.newBuilder().setTxId(txId).setParticipantId(participantId).build();
    return Rpc.call(client, coordinator.toSocketAddress(), TransactionCoordinatorGrpcClient.GetOutcome, request,
        timeout, credentials).compose(response -> switch (response.getOutcome()) {
          case OUTCOME_COMMITTED -> Future.succeededFuture(Answer.COMMITTED);
          case OUTCOME_ABORTED -> Future.succeededFuture(Answer.ABORTED);
          case OUTCOME_PENDING -> Future.succeededFuture(Answer.PENDING);
          default -> Future.failedFuture(new IllegalStateException(
              "coordinator answered GetOutcome for " + txId + " with " + response.getOutcome()));
        });
  }
}
