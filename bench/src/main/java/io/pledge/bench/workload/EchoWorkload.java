package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.bench.v1.EchoGrpcClient;
import io.pledge.bench.v1.EchoRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;

/** The loopback ceiling: one trivial unary call per operation, over the same number of connections. */
public final class EchoWorkload implements Workload {

  private final Clients<GrpcClient> clients;
  private final SocketAddress server;

  public EchoWorkload(Vertx vertx, Endpoint server, int connections) {
    this.clients = Clients.grpc(vertx, connections);
    this.server = server.toSocketAddress();
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> Rpc.call(clients.pick(slot), server, EchoGrpcClient.Echo,
        EchoRequest.newBuilder().setValue(seq).build(), Duration.ofSeconds(30)).map(Outcome.COMMITTED);
  }

  @Override
  public void close() {
    clients.all().forEach(GrpcClient::close);
  }
}
