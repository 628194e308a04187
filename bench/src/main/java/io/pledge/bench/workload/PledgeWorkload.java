package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.bench.v1.BenchWorkGrpcClient;
import io.pledge.bench.v1.WorkRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.List;

/**
 * A Pledge transaction as a client service runs one: Begin, the work call to every participant in parallel with
 * the transaction id in the {@code pledge-tx-id} header (each participant enlists on its first call), then Commit.
 * A failed work call rolls the transaction back and counts as an error; an ABORTED outcome (a no vote) counts as
 * aborted.
 */
public final class PledgeWorkload implements Workload {

  static final Duration WORK_TIMEOUT = Duration.ofSeconds(30);

  private final Clients<TransactionClient> coordinator;
  private final Clients<GrpcClient> work;
  private final List<SocketAddress> participants;

  public PledgeWorkload(Vertx vertx, Endpoint coordinatorEndpoint, List<Endpoint> participants, int connections) {
    this.coordinator = Clients.of(connections,
        i -> TransactionClient.create(vertx, coordinatorEndpoint, Duration.ofSeconds(30)));
    this.work = Clients.grpc(vertx, connections);
    this.participants = participants.stream().map(Endpoint::toSocketAddress).toList();
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      TransactionClient tc = coordinator.pick(slot);
      GrpcClient wc = work.pick(slot);
      // Each client its own key: locks (when taken) are uncontended, as in a service whose clients own accounts.
      WorkRequest request = WorkRequest.newBuilder().setKey("k" + slot).setDelta(1).build();
      return tc.begin().compose(txId -> Future.all(participants.stream()
              .map(p -> Rpc.call(wc, p, BenchWorkGrpcClient.Work, request, WORK_TIMEOUT, TxPropagation.metadata(txId)))
              .toList())
          .transform(worked -> worked.succeeded()
              ? tc.commit(txId).map(o -> o.status() == TxOutcome.Status.COMMITTED ? Outcome.COMMITTED
                  : Outcome.ABORTED)
              : tc.rollback(txId).transform(r -> Future.failedFuture(worked.cause()))));
    };
  }

  @Override
  public void close() {
    coordinator.all().forEach(TransactionClient::close);
    work.all().forEach(GrpcClient::close);
  }
}
