package io.pledge.common.grpc;

import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientBuilder;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.Address;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.impl.GrpcClientImpl;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.tls.TlsReload;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Optional;

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

  /**
   * HTTP/2 streams one connection may have open on a server. Vert.x's default (100) let one client's waiting calls
   * (lock waits) starve its other calls on the same channel; each stream costs a few hundred bytes when idle.
   */
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 1024;
  /** Largest gRPC message a Pledge server accepts, decoded (compressed requests are refused, {@link GrpcGuard}). */
  public static final int MAX_REQUEST_BYTES = 256 * 1024;
  /** Largest reply a Pledge client accepts by default; replies are never decompressed. */
  public static final int DEFAULT_MAX_REPLY_BYTES = 256 * 1024;

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
    return client(vertx, options, consolidateFlushes, DEFAULT_MAX_REPLY_BYTES);
  }

  /**
   * A gRPC client whose replies may be up to {@code maxReplyBytes}. A reply the server compressed is refused
   * (RESOURCE_EXHAUSTED) without being inflated: none of Pledge's servers compresses, so only a bogus or hostile
   * server would, and Vert.x inflates a message whole before any size check.
   */
  public static GrpcClient client(Vertx vertx, HttpClientOptions options, boolean consolidateFlushes,
      long maxReplyBytes) {
    return client(vertx, options, consolidateFlushes, maxReplyBytes, Optional.empty());
  }

  /** A gRPC client (see above) over TLS when {@code tls} is given: its certificate follows the files. */
  public static GrpcClient client(Vertx vertx, HttpClientOptions options, Optional<TlsOptions> tls) {
    return client(vertx, options, true, DEFAULT_MAX_REPLY_BYTES, tls);
  }

  public static GrpcClient client(Vertx vertx, HttpClientOptions options, boolean consolidateFlushes,
      long maxReplyBytes, Optional<TlsOptions> tls) {
    HttpClientBuilder builder = vertx.httpClientBuilder().with(of(tls.map(t -> t.applyTo(options)).orElse(options)));
    if (consolidateFlushes) {
      builder = builder.withConnectHandler(GrpcTransport::consolidateFlushes);
    }
    HttpClientAgent agent = builder.build();
    Runnable stopReload = tls.map(t -> TlsReload.client(vertx, t, agent)).orElse(() -> {});
    HttpClient http = agent;
    // GrpcClient.client(vertx, http) takes no options: its implementation's own constructor does (Vert.x 5.0).
    GrpcClient grpc = new GrpcClientImpl(vertx, new GrpcClientOptions().setMaxMessageSize(maxReplyBytes), http,
        false) {};
    return new OwningGrpcClient(grpc, http, stopReload);
  }

  /**
   * An HTTP server for a gRPC server's request handler: connections consolidate flushes, allow
   * {@value #DEFAULT_MAX_CONCURRENT_STREAMS} streams unless {@code options} says otherwise, and compressed requests
   * are refused ({@link GrpcGuard}).
   */
  public static HttpServer server(Vertx vertx, HttpServerOptions options) {
    HttpServerOptions copy = new HttpServerOptions(options);
    if (copy.getInitialSettings().getMaxConcurrentStreams() == Http2Settings.DEFAULT_MAX_CONCURRENT_STREAMS) {
      copy.getInitialSettings().setMaxConcurrentStreams(DEFAULT_MAX_CONCURRENT_STREAMS);
    }
    return GrpcGuard.http(vertx.createHttpServer(copy), GrpcTransport::consolidateFlushes);
  }

  /** Like {@link #server(Vertx, HttpServerOptions)}, over TLS when {@code tls} is given (reloaded as it changes). */
  public static HttpServer server(Vertx vertx, HttpServerOptions options, Optional<TlsOptions> tls) {
    if (tls.isEmpty()) {
      return server(vertx, options);
    }
    return TlsReload.server(vertx, tls.get(), server(vertx, tls.get().applyTo(options)));
  }

  /** Like {@link #server(Vertx, HttpServerOptions, int)}, over TLS when {@code tls} is given. */
  public static HttpServer server(Vertx vertx, HttpServerOptions options, int maxConcurrentStreams,
      Optional<TlsOptions> tls) {
    if (maxConcurrentStreams < 1) {
      throw new IllegalArgumentException("max concurrent streams must be positive");
    }
    HttpServerOptions copy = new HttpServerOptions(options);
    copy.getInitialSettings().setMaxConcurrentStreams(maxConcurrentStreams);
    return server(vertx, copy, tls);
  }

  /** Like {@link #server(Vertx, HttpServerOptions)}, with {@code maxConcurrentStreams} streams per connection. */
  public static HttpServer server(Vertx vertx, HttpServerOptions options, int maxConcurrentStreams) {
    if (maxConcurrentStreams < 1) {
      throw new IllegalArgumentException("max concurrent streams must be positive");
    }
    HttpServerOptions copy = new HttpServerOptions(options);
    copy.getInitialSettings().setMaxConcurrentStreams(maxConcurrentStreams);
    return server(vertx, copy);
  }

  /**
   * A gRPC server for Pledge's services: requests up to {@value #MAX_REQUEST_BYTES} bytes, malformed and oversized
   * messages answered with a status and a message ({@link GrpcGuard}).
   */
  public static GrpcServer grpcServer(Vertx vertx) {
    return grpcServer(vertx, MAX_REQUEST_BYTES);
  }

  /** A gRPC server for Pledge's services (see above) whose TLS callers are authorized by {@code policy}. */
  public static GrpcServer grpcServer(Vertx vertx, Optional<Policy> policy) {
    return GrpcGuard.server(GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(MAX_REQUEST_BYTES)),
        MAX_REQUEST_BYTES, policy);
  }

  public static GrpcServer grpcServer(Vertx vertx, int maxRequestBytes) {
    return GrpcGuard.server(GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(maxRequestBytes)),
        maxRequestBytes);
  }

  static void consolidateFlushes(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      base.channel().pipeline().addFirst(new FlushConsolidationHandler(
          FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }
  }

  /** The request, whose response fails (and the call is cancelled) when the server compressed it. */
  @SuppressWarnings("unchecked")
  static <Req, Resp> GrpcClientRequest<Req, Resp> identityReplies(GrpcClientRequest<Req, Resp> request) {
    return (GrpcClientRequest<Req, Resp>) Proxy.newProxyInstance(GrpcTransport.class.getClassLoader(),
        new Class<?>[] {GrpcClientRequest.class}, (proxy, method, args) -> {
          if (method.getName().equals("response") && (args == null || args.length == 0)) {
            return request.response().compose(response -> {
              String encoding = response.headers().get(GrpcGuard.GRPC_ENCODING);
              if (encoding == null || encoding.equalsIgnoreCase("identity")) {
                return Future.succeededFuture(response);
              }
              try {
                request.cancel();
              } catch (IllegalStateException alreadyEnded) {
                // nothing left to cancel
              }
              return Future.failedFuture(new RpcException(GrpcStatus.RESOURCE_EXHAUSTED, "the server sent a"
                  + " compressed reply (grpc-encoding " + encoding + "): Pledge clients accept identity only"));
            });
          }
          try {
            Object result = method.invoke(request, args);
            return result == request ? proxy : result;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** A gRPC client given its HTTP client does not close it: this one does. */
  private record OwningGrpcClient(GrpcClient grpc, HttpClient http, Runnable stopReload) implements GrpcClient {

    @Override
    public Future<GrpcClientRequest<Buffer, Buffer>> request(Address server) {
      return grpc.request(server).map(GrpcTransport::identityReplies);
    }

    @Override
    public Future<GrpcClientRequest<Buffer, Buffer>> request() {
      return grpc.request().map(GrpcTransport::identityReplies);
    }

    @Override
    public <Req, Resp> Future<GrpcClientRequest<Req, Resp>> request(Address server, ServiceMethod<Resp, Req> method) {
      return grpc.request(server, method).map(GrpcTransport::identityReplies);
    }

    @Override
    public <Req, Resp> Future<GrpcClientRequest<Req, Resp>> request(ServiceMethod<Resp, Req> method) {
      return grpc.request(method).map(GrpcTransport::identityReplies);
    }

    @Override
    public Future<Void> close() {
      stopReload.run();
      return grpc.close().eventually(http::close);
    }
  }
}
