package io.pledge.examples.orders;

import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.List;

/** What the consistency check asks the coordinator: how many transactions are not finished yet. */
final class CoordinatorView implements AutoCloseable {

  private static final List<TransactionState> UNFINISHED = List.of(TransactionState.TRANSACTION_STATE_ACTIVE,
      TransactionState.TRANSACTION_STATE_PREPARING, TransactionState.TRANSACTION_STATE_PREPARED,
      TransactionState.TRANSACTION_STATE_COMMITTING, TransactionState.TRANSACTION_STATE_ROLLING_BACK);

  private final GrpcClient grpc;
  private final Endpoint coordinator;

  CoordinatorView(Vertx vertx, Endpoint coordinator) {
    this.grpc = GrpcTransport.client(vertx, new HttpClientOptions());
    this.coordinator = coordinator;
  }

  /** Transactions in an unfinished state ({@code ListTransactions}); more than a page counts as one more. */
  Future<Integer> unfinished() {
    ListTransactionsRequest request = ListTransactionsRequest.newBuilder().addAllStates(UNFINISHED).setPageSize(1000)
        .build();
    return Rpc.call(grpc, coordinator.toSocketAddress(), TransactionCoordinatorGrpcClient.ListTransactions, request,
        Duration.ofSeconds(10)).map(r -> r.getTransactionsCount() + (r.getNextPageToken().isEmpty() ? 0 : 1));
  }

  @Override
  public void close() {
    grpc.close();
  }
}
