package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.bench.v1.EchoGrpcClient;
import io.pledge.bench.v1.EchoRequest;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;

/**
 * The loopback ceiling: one trivial call per operation, over the same number of connections; a unary call, or
 * (sessions) a frame on a call session as Pledge's own calls travel.
 */
public final class EchoWorkload implements Workload {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Clients<CallSessions> clients;
  private final SocketAddress server;
  private final boolean sessions;

  public EchoWorkload(Vertx vertx, Endpoint server, int connections, boolean sessions) {
    this.clients = Clients.sessions(vertx, connections);
    this.server = server.toSocketAddress();
    this.sessions = sessions;
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      EchoRequest request = EchoRequest.newBuilder().setValue(seq).build();
      CallSessions calls = clients.pick(slot);
      return (sessions ? calls.call(server, EchoGrpcClient.Echo, request, TIMEOUT)
          : calls.unary(server, EchoGrpcClient.Echo, request, TIMEOUT)).map(Outcome.COMMITTED);
    };
  }

  @Override
  public void close() {
    clients.all().forEach(CallSessions::close);
  }
}
