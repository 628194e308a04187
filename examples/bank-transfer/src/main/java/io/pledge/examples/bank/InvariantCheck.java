package io.pledge.examples.bank;

import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The demo's verdict: money is neither created nor destroyed, and nothing is left in doubt anywhere: no branch in
 * doubt in either participant log, no XA branch still prepared in either database, no unfinished transaction at
 * the coordinator ({@code ListTransactions}). Phase 2 and recovery finish asynchronously, so the check waits (up to
 * a limit) for the system to settle before it judges.
 *
 * <p>Blocking: used only from the demo's main thread.
 */
final class InvariantCheck implements AutoCloseable {

  /** What the check saw. */
  record Verdict(boolean ok, long expectedTotal, long total, int inDoubt, int xaPrepared, int unfinished,
      String perBank) {

    String line() {
      return String.format("INVARIANT %s: total money %d (expected %d); in doubt %d, prepared XA branches %d,"
          + " unfinished coordinator transactions %d [%s]", ok ? "OK" : "FAILED", total, expectedTotal, inDoubt,
          xaPrepared, unfinished, perBank);
    }
  }

  private static final List<TransactionState> UNFINISHED = List.of(TransactionState.TRANSACTION_STATE_ACTIVE,
      TransactionState.TRANSACTION_STATE_PREPARING, TransactionState.TRANSACTION_STATE_PREPARED,
      TransactionState.TRANSACTION_STATE_COMMITTING, TransactionState.TRANSACTION_STATE_ROLLING_BACK);

  private final Vertx vertx;
  private final GrpcClient grpc;
  private final Endpoint coordinator;
  /** A coordinator cluster's members (the list is asked through its leader); null for one coordinator. */
  private final LeaderEndpoints cluster;
  private final List<BankProcess> banks;

  InvariantCheck(Vertx vertx, Endpoint coordinator, List<BankProcess> banks) {
    this(vertx, coordinator, banks, Optional.empty());
  }

  /** {@code tls}: the checker's certificate (it lists the coordinator's transactions: role operator). */
  InvariantCheck(Vertx vertx, Endpoint coordinator, List<BankProcess> banks, Optional<TlsOptions> tls) {
    this(vertx, List.of(coordinator), banks, tls);
  }

  /** {@code coordinators}: one coordinator, or a cluster's members (its leader lists the transactions). */
  InvariantCheck(Vertx vertx, List<Endpoint> coordinators, List<BankProcess> banks, Optional<TlsOptions> tls) {
    this.vertx = vertx;
    this.grpc = GrpcTransport.client(vertx, new HttpClientOptions(), tls);
    this.coordinator = coordinators.get(0);
    this.cluster = coordinators.size() > 1 ? LeaderEndpoints.of(vertx, coordinators, Duration.ofSeconds(10)) : null;
    this.banks = banks;
  }

  /** The committed total across the banks now. */
  long total() throws Exception {
    long total = 0;
    for (BankProcess bank : banks) {
      total += bank.status().getLong("total");
    }
    return total;
  }

  /** Waits until everything settled or {@code timeout} passed, then judges. */
  Verdict await(long expectedTotal, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      Verdict v = observe(expectedTotal);
      if (v.ok() || Instant.now().isAfter(deadline)) {
        return v;
      }
      vertx.timer(500).await(5, TimeUnit.SECONDS);
    }
  }

  private Verdict observe(long expectedTotal) throws Exception {
    long total = 0;
    int inDoubt = 0;
    int prepared = 0;
    StringBuilder perBank = new StringBuilder();
    for (BankProcess bank : banks) {
      JsonObject s = bank.status();
      total += s.getLong("total");
      inDoubt += s.getInteger("inDoubt");
      prepared += s.getInteger("xaPrepared");
      perBank.append(perBank.isEmpty() ? "" : "; ").append(bank.name()).append(": total ").append(s.getLong("total"))
          .append(", in doubt ").append(s.getInteger("inDoubt")).append(", prepared ")
          .append(s.getInteger("xaPrepared"));
    }
    int unfinished = unfinished().await(10, TimeUnit.SECONDS);
    boolean ok = total == expectedTotal && inDoubt == 0 && prepared == 0 && unfinished == 0;
    return new Verdict(ok, expectedTotal, total, inDoubt, prepared, unfinished, perBank.toString());
  }

  private Future<Integer> unfinished() {
    ListTransactionsRequest request = ListTransactionsRequest.newBuilder().addAllStates(UNFINISHED).setPageSize(1000)
        .build();
    Duration timeout = Duration.ofSeconds(5);
    Future<ListTransactionsResponse> answer = cluster == null
        ? Rpc.call(grpc, coordinator.toSocketAddress(), TransactionCoordinatorGrpcClient.ListTransactions, request,
            timeout)
        : cluster.call(timeout, e -> Rpc.call(grpc, e.toSocketAddress(),
            TransactionCoordinatorGrpcClient.ListTransactions, request, timeout));
    return answer.map(r -> r.getTransactionsCount() + (r.getNextPageToken().isEmpty() ? 0 : 1));
  }

  @Override
  public void close() {
    grpc.close();
  }
}
