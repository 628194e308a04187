package io.pledge.bench.workload;

import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.tls.TlsOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/** {@code n} clients of one kind, picked by slot: each a connection of its own to each server. */
final class Clients<T> {

  private final List<T> clients;

  private Clients(List<T> clients) {
    this.clients = clients;
  }

  static <T> Clients<T> of(int n, IntFunction<T> create) {
    if (n < 1) {
      throw new IllegalArgumentException("at least one connection");
    }
    return new Clients<>(IntStream.range(0, n).mapToObj(create).toList());
  }

  static Clients<GrpcClient> grpc(Vertx vertx, int n) {
    return grpc(vertx, n, Optional.empty());
  }

  /** Over TLS when {@code tls} is given (the client's certificate its identity). */
  static Clients<GrpcClient> grpc(Vertx vertx, int n, Optional<TlsOptions> tls) {
    return of(n, i -> GrpcTransport.client(vertx, new HttpClientOptions(), tls));
  }

  static Clients<CallSessions> sessions(Vertx vertx, int n) {
    return of(n, i -> new CallSessions(vertx, new HttpClientOptions()));
  }

  T pick(int slot) {
    return clients.get(Math.floorMod(slot, clients.size()));
  }

  List<T> all() {
    return clients;
  }
}
