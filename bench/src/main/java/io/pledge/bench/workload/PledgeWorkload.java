package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.sut.Probe;
import java.util.OptionalDouble;
import io.pledge.bench.load.Outcome;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.TlsOptions;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Pledge transaction as a client service runs one: Begin, the work call to every participant in parallel with
 * the transaction id in the {@code pledge-tx-id} header (each participant enlists on its first call), then Commit.
 * A failed work call rolls the transaction back and counts as an error; an ABORTED outcome (a no vote) counts as
 * aborted.
 */
public final class PledgeWorkload implements Workload {

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final Clients<TransactionClient> coordinator;
  private final WorkCalls work;
  private final boolean shortPath;

  public PledgeWorkload(Vertx vertx, Endpoint coordinatorEndpoint, List<Endpoint> participants, int connections) {
    this(vertx, List.of(coordinatorEndpoint), participants, connections, Optional.empty());
  }

  /**
   * @param coordinators the coordinator, or every member of a coordinator cluster (the client follows the leader)
   * @param tls the client's TLS, to the coordinator and the participants alike; empty: plaintext
   */
  public PledgeWorkload(Vertx vertx, List<Endpoint> coordinators, List<Endpoint> participants, int connections,
      Optional<TlsOptions> tls) {
    this(vertx, coordinators, participants, connections, tls, true);
  }

  /**
   * @param shortPath transactions begin from reserved ids and participants report their enlistment in their
   *     answers (issue 16); false: Begin and Enlist calls, as before
   */
  public PledgeWorkload(Vertx vertx, List<Endpoint> coordinators, List<Endpoint> participants, int connections,
      Optional<TlsOptions> tls, boolean shortPath) {
    if (coordinators.size() > 1 && tls.isPresent()) {
      throw new IllegalArgumentException("the bench's cluster client runs plaintext");
    }
    this.shortPath = shortPath;
    this.coordinator = Clients.of(connections, i -> (coordinators.size() > 1
        ? TransactionClient.create(vertx, coordinators, CALL_TIMEOUT, new HttpClientOptions(), Map.of())
        : TransactionClient.create(vertx, coordinators.get(0), CALL_TIMEOUT, tls)).shortPath(shortPath));
    this.work = new WorkCalls(vertx, participants, connections, tls);
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      TransactionClient tc = coordinator.pick(slot);
      return tc.begin().compose(txId -> (shortPath ? work.onAll(slot, tc, txId)
          : work.onAll(slot, TxPropagation.metadata(txId)))
          .transform(worked -> worked.succeeded()
              ? tc.commit(txId).map(o -> o.status() == TxOutcome.Status.COMMITTED ? Outcome.COMMITTED
                  : Outcome.ABORTED)
              : tc.rollback(txId).transform(r -> Future.failedFuture(worked.cause()))));
    };
  }

  /**
   * Calls the client makes: to the coordinator (Begin or a share of ReserveTransactionIds, Commit) and the work
   * calls; the participants count theirs (served, and Enlist made).
   */
  @Override
  public List<Probe> probes() {
    return List.of(
        new Probe("calls: client to coordinator", () -> OptionalDouble.of(coordinator.all().stream()
            .mapToLong(TransactionClient::callsMade).sum())),
        new Probe("calls: client work calls", () -> OptionalDouble.of(work.made())));
  }

  @Override
  public void close() {
    coordinator.all().forEach(TransactionClient::close);
    work.close();
  }
}
