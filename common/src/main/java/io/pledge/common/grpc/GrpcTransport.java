package io.pledge.common.grpc;

import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientBuilder;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.Address;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.ServiceMethod;

/**
 * HTTP made fit for gRPC, for every client and server Pledge builds.
 *
 * <p>Options: Vert.x's gRPC client uses caller-given options as they are, and their defaults speak HTTP/1.1, so
 * clients get HTTP/2 with prior knowledge on plaintext, ALPN under TLS.
 *
 * <p>Flushes: a message written outside a read of its connection (an answer completed by a log sync or a Hazelcast
 * reply, a call made from a timer or another context) is flushed on its own: one socket write per message. Netty's
 * {@link FlushConsolidationHandler} turns the flushes of one event-loop turn into one: under load many messages
 * share a write; alone, a message waits only for the rest of the current turn. Every server consolidates, and so
 * do clients whose traffic comes in bursts (a coordinator's prepares after a group commit); a client that wants
 * each call out at once does not (measured trade-offs in docs/decisions.md). The handler goes in through Vert.x's
 * connection internals ({@link ConnectionBase}, pinned Vert.x 5.0); a connection of another kind is left as it is.
 */
public final class GrpcTransport {

  private GrpcTransport() {}

  public static HttpClientOptions of(HttpClientOptions options) {
    HttpClientOptions copy = new HttpClientOptions(options).setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false);
    return copy.isSsl() ? copy.setUseAlpn(true) : copy;
  }

  /** A gRPC client whose connections consolidate flushes. */
  public static GrpcClient client(Vertx vertx, HttpClientOptions options) {
    return client(vertx, options, true);
  }

  /** A gRPC client on its own HTTP client (closed with it); {@code consolidateFlushes}: see above. */
  public static GrpcClient client(Vertx vertx, HttpClientOptions options, boolean consolidateFlushes) {
    HttpClientBuilder builder = vertx.httpClientBuilder().with(of(options));
    if (consolidateFlushes) {
      builder = builder.withConnectHandler(GrpcTransport::consolidateFlushes);
    }
    HttpClient http = builder.build();
    return new OwningGrpcClient(GrpcClient.client(vertx, http), http);
  }

  /** An HTTP server for a gRPC server's request handler, whose connections consolidate flushes. */
  public static HttpServer server(Vertx vertx, HttpServerOptions options) {
    return vertx.createHttpServer(options).connectionHandler(GrpcTransport::consolidateFlushes);
  }

  static void consolidateFlushes(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      base.channel().pipeline().addFirst(new FlushConsolidationHandler(
          FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }
  }

  /** A gRPC client given its HTTP client does not close it: this one does. */
  private record OwningGrpcClient(GrpcClient grpc, HttpClient http) implements GrpcClient {

    @Override
    public Future<GrpcClientRequest<Buffer, Buffer>> request(Address server) {
      return grpc.request(server);
    }

    @Override
    public Future<GrpcClientRequest<Buffer, Buffer>> request() {
      return grpc.request();
    }

    @Override
    public <Req, Resp> Future<GrpcClientRequest<Req, Resp>> request(Address server, ServiceMethod<Resp, Req> method) {
      return grpc.request(server, method);
    }

    @Override
    public <Req, Resp> Future<GrpcClientRequest<Req, Resp>> request(ServiceMethod<Resp, Req> method) {
      return grpc.request(method);
    }

    @Override
    public Future<Void> close() {
      return grpc.close().eventually(http::close);
    }
  }
}
