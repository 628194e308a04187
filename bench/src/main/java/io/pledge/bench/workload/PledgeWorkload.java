package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;

/**
 * A Pledge transaction as a client service runs one: Begin, the work call to every participant in parallel with
 * the transaction id in the {@code pledge-tx-id} header (each participant enlists on its first call), then Commit.
 * A failed work call rolls the transaction back and counts as an error; an ABORTED outcome (a no vote) counts as
 * aborted.
 */
public final class PledgeWorkload implements Workload {

  private final Clients<TransactionClient> coordinator;
  private final WorkCalls work;

  public PledgeWorkload(Vertx vertx, Endpoint coordinatorEndpoint, List<Endpoint> participants, int connections) {
    this.coordinator = Clients.of(connections,
        i -> TransactionClient.create(vertx, coordinatorEndpoint, Duration.ofSeconds(30)));
    this.work = new WorkCalls(vertx, participants, connections);
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      TransactionClient tc = coordinator.pick(slot);
      return tc.begin().compose(txId -> work.onAll(slot, TxPropagation.metadata(txId))
          .transform(worked -> worked.succeeded()
              ? tc.commit(txId).map(o -> o.status() == TxOutcome.Status.COMMITTED ? Outcome.COMMITTED
                  : Outcome.ABORTED)
              : tc.rollback(txId).transform(r -> Future.failedFuture(worked.cause()))));
    };
  }

  @Override
  public void close() {
    coordinator.all().forEach(TransactionClient::close);
    work.close();
  }
}
