package io.pledge.bench.workload;

import io.pledge.bench.v1.BenchWorkGrpcClient;
import io.pledge.bench.v1.WorkRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.tls.TlsOptions;
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

  WorkCalls(Vertx vertx, List<Endpoint> participants, int connections) {
    this(vertx, participants, connections, Optional.empty());
  }

  WorkCalls(Vertx vertx, List<Endpoint> participants, int connections, Optional<TlsOptions> tls) {
    this.clients = Clients.grpc(vertx, connections, tls);
    this.participants = participants.stream().map(Endpoint::toSocketAddress).toList();
  }

  /** The work calls of client {@code slot}, each with {@code metadata} (the transaction id, or none). */
  Future<CompositeFuture> onAll(int slot, Map<String, String> metadata) {
    GrpcClient client = clients.pick(slot);
    WorkRequest request = WorkRequest.newBuilder().setKey("k" + slot).setDelta(1).build();
    return Future.all(participants.stream()
        .map(p -> Rpc.call(client, p, BenchWorkGrpcClient.Work, request, TIMEOUT, metadata))
        .toList());
  }

  @Override
  public void close() {
    clients.all().forEach(GrpcClient::close);
  }
}
