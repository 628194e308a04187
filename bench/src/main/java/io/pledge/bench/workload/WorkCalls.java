package io.pledge.bench.workload;

import io.pledge.bench.v1.BenchWorkGrpcClient;
import io.pledge.bench.v1.WorkRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.tls.TlsOptions;
import io.pledge.participant.client.TransactionClient;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The work one operation does, the same in a Pledge transaction and in the no-coordinator baseline, so that the
 * two stay comparable: a work call to every participant in parallel, adding 1 to the client's own counter
 * ({@code k<slot>}: locks, when taken, are uncontended, as in a service whose clients own accounts).
 */
final class WorkCalls implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Clients<GrpcClient> clients;
  private final List<SocketAddress> participants;
  private final List<String> names;
  private final java.util.concurrent.atomic.LongAdder made = new java.util.concurrent.atomic.LongAdder();

  WorkCalls(Vertx vertx, List<Endpoint> participants, int connections) {
    this(vertx, participants, connections, Optional.empty());
  }

  WorkCalls(Vertx vertx, List<Endpoint> participants, int connections, Optional<TlsOptions> tls) {
    this.clients = Clients.grpc(vertx, connections, tls);
    this.participants = participants.stream().map(Endpoint::toSocketAddress).toList();
    this.names = participants.stream().map(e -> "work " + e).toList();
  }

  /** The work calls of client {@code slot}, each with {@code metadata} (the transaction id, or none). */
  Future<CompositeFuture> onAll(int slot, Map<String, String> metadata) {
    GrpcClient client = clients.pick(slot);
    WorkRequest request = WorkRequest.newBuilder().setKey("k" + slot).setDelta(1).build();
    made.add(participants.size());
    return Future.all(participants.stream()
        .map(p -> Rpc.call(client, p, BenchWorkGrpcClient.Work, request, TIMEOUT, metadata))
        .toList());
  }

  /**
   * The work calls of client {@code slot} under {@code txId} through the client SDK on the short path ({@link
   * TransactionClient#call(String, String, java.util.function.Function)}): each answer's enlistment goes to
   * {@code tc}, to be carried by the Commit.
   */
  Future<CompositeFuture> onAll(int slot, TransactionClient tc, String txId) {
    GrpcClient client = clients.pick(slot);
    WorkRequest request = WorkRequest.newBuilder().setKey("k" + slot).setDelta(1).build();
    made.add(participants.size());
    List<Future<?>> calls = new java.util.ArrayList<>(participants.size());
    for (int i = 0; i < participants.size(); i++) {
      SocketAddress p = participants.get(i);
      calls.add(tc.call(txId, names.get(i), call -> Rpc.call(client, p, BenchWorkGrpcClient.Work, request, TIMEOUT,
          call.headers(), call::answered)));
    }
    return Future.all(calls);
  }

  /** Work calls made so far. */
  long made() {
    return made.sum();
  }

  @Override
  public void close() {
    clients.all().forEach(GrpcClient::close);
  }
}
