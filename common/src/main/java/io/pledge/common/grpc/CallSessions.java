package io.pledge.common.grpc;

import com.google.protobuf.MessageLite;
import io.pledge.api.v1.CallFrame;
import io.pledge.api.v1.CallSessionGrpcClient;
import io.pledge.common.tls.TlsOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unary calls from one client, carried as frames on one {@code pledge.v1.CallSession} stream per server (see
 * session.proto): what a call costs is then a frame, not an HTTP/2 stream with headers and trailers. A call fails
 * as its unary form would: with the server's status and message, {@code UNAVAILABLE} when the session breaks (the
 * next call opens a new one), {@code DEADLINE_EXCEEDED} after its timeout. A server, or a method, not served over
 * sessions is called unary instead. Answers complete on the caller's Vert.x context, like a unary call's.
 *
 * <p>Metadata given at construction (per-call credentials such as a bearer token) goes with every session's opening
 * and every unary call, where a proxy in front of the server can check it. Owns its {@link GrpcClient} (one
 * connection per server); thread-safe.
 */
public final class CallSessions {

  private final Vertx vertx;
  private final GrpcClient client;
  private final Map<String, String> metadata;
  private final Map<SocketAddress, Session> sessions = new ConcurrentHashMap<>();
  /** Servers that answered the session UNIMPLEMENTED: called unary from then on. */
  private final Set<SocketAddress> unaryServers = ConcurrentHashMap.newKeySet();
  /** Methods a server's session did not route ({@link #routeKey}): called unary from then on. */
  private final Set<String> unaryRoutes = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean closed;

  public CallSessions(Vertx vertx, HttpClientOptions options) {
    this(vertx, options, Map.of());
  }

  public CallSessions(Vertx vertx, HttpClientOptions options, Map<String, String> metadata) {
    this(vertx, options, metadata, true);
  }

  /** @param consolidateFlushes whether the calls of one event-loop turn share a socket write ({@link GrpcTransport}) */
  public CallSessions(Vertx vertx, HttpClientOptions options, Map<String, String> metadata,
      boolean consolidateFlushes) {
    this(vertx, options, metadata, consolidateFlushes, Optional.empty());
  }

  /** @param tls TLS of the connections (the caller's certificate for mutual TLS); empty: plaintext */
  public CallSessions(Vertx vertx, HttpClientOptions options, Map<String, String> metadata,
      boolean consolidateFlushes, Optional<TlsOptions> tls) {
    this.vertx = vertx;
    this.client = GrpcTransport.client(vertx, options, consolidateFlushes, GrpcTransport.DEFAULT_MAX_REPLY_BYTES,
        tls);
    this.metadata = Map.copyOf(metadata);
  }

  public <Req extends MessageLite, Resp> Future<Resp> call(SocketAddress address, ServiceMethod<Resp, Req> method,
      Req request, Duration timeout) {
    if (closed) {
      return Future.failedFuture(new RpcException(GrpcStatus.UNAVAILABLE, "the client is closed"));
    }
    // The route key is only built when some route went unary: this runs on every call.
    if (unaryServers.contains(address)
        || !unaryRoutes.isEmpty() && unaryRoutes.contains(routeKey(address, method))) {
      return unary(address, method, request, timeout);
    }
    Pending<Req, Resp> call = new Pending<>(address, method, request, timeout, Vertx.currentContext());
    sessions.computeIfAbsent(address, Session::new).send(call);
    return call.promise.future();
  }

  /** The same call as an ordinary unary call on this client's connection (to compare, or where no session is). */
  public <Req, Resp> Future<Resp> unary(SocketAddress address, ServiceMethod<Resp, Req> method, Req request,
      Duration timeout) {
    return Rpc.call(client, address, method, request, timeout, metadata);
  }

  /** Fails the calls in flight {@code UNAVAILABLE} and closes the connections. */
  public Future<Void> close() {
    closed = true;
    sessions.values().forEach(s -> s.close(new RpcException(GrpcStatus.UNAVAILABLE, "the client is closed")));
    return client.close();
  }

  private static String routeKey(SocketAddress address, ServiceMethod<?, ?> method) {
    return address + "/" + method.fullMethodName();
  }

  /** One call: what it needs to be sent, on a session or unary, and to be answered where it was made. */
  private final class Pending<Req extends MessageLite, Resp> {

    final SocketAddress address;
    final ServiceMethod<Resp, Req> method;
    final Req request;
    final Duration timeout;
    final Context caller;
    final Promise<Resp> promise = Promise.promise();
    final long id = ids.incrementAndGet();
    volatile long timer = -1;

    Pending(SocketAddress address, ServiceMethod<Resp, Req> method, Req request, Duration timeout, Context caller) {
      this.address = address;
      this.method = method;
      this.request = request;
      this.timeout = timeout;
      this.caller = caller;
    }

    CallFrame frame() {
      return CallFrame.newBuilder().setCallId(id).setMethod(method.fullMethodName())
          .setMessage(request.toByteString()).build();
    }

    void answered(CallFrame answer) {
      if (answer.getUnrouted()) {
        unaryRoutes.add(routeKey(address, method));
        sendUnary();
      } else if (answer.getStatus() != GrpcStatus.OK.code) {
        fail(new RpcException(GrpcStatus.valueOf(answer.getStatus()), answer.getStatusMessage()));
      } else {
        Resp response;
        try {
          response = CallSessionService.decode(method.decoder(), answer.getMessage());
        } catch (RuntimeException e) {
          fail(new RpcException(GrpcStatus.INTERNAL, "the answer to " + method.fullMethodName()
              + " is not a valid message"));
          return;
        }
        onCaller(() -> promise.tryComplete(response));
      }
    }

    /** Nothing ran on the server (it does not serve sessions or this method): the unary call is the first try. */
    void sendUnary() {
      unary(address, method, request, timeout).onComplete(ar -> onCaller(() -> {
        if (ar.succeeded()) {
          promise.tryComplete(ar.result());
        } else {
          promise.tryFail(ar.cause());
        }
      }));
    }

    void fail(RpcException failure) {
      onCaller(() -> promise.tryFail(failure));
    }

    private void onCaller(Runnable action) {
      if (caller == null || caller == Vertx.currentContext()) {
        action.run();
      } else {
        caller.runOnContext(v -> action.run());
      }
    }
  }

  /** One stream to one server. Calls in flight are keyed by id; whoever removes a call from the map answers it. */
  private final class Session {

    private final SocketAddress address;
    private final Context context = vertx.getOrCreateContext();
    private final Map<Long, Pending<?, ?>> inFlight = new ConcurrentHashMap<>();
    private final Future<GrpcClientRequest<CallFrame, CallFrame>> stream;
    private volatile boolean broken;

    Session(SocketAddress address) {
      this.address = address;
      Promise<GrpcClientRequest<CallFrame, CallFrame>> opened = Promise.promise();
      this.stream = opened.future();
      context.runOnContext(v -> client.request(address, CallSessionGrpcClient.Open).onComplete(ar -> {
        if (ar.failed()) {
          close(Rpc.toRpcException(ar.cause()));
          opened.fail(ar.cause());
          return;
        }
        GrpcClientRequest<CallFrame, CallFrame> request = ar.result();
        metadata.forEach(request.headers()::set);
        request.exceptionHandler(e -> close(Rpc.toRpcException(e)));
        request.response().onComplete(response -> {
          if (response.failed()) {
            close(Rpc.toRpcException(response.cause()));
          } else {
            listen(response.result());
          }
        });
        opened.complete(request);
      }));
    }

    private void listen(GrpcClientResponse<CallFrame, CallFrame> response) {
      if (response.status() == GrpcStatus.UNIMPLEMENTED) {
        unimplemented();
        return;
      }
      if (response.status() != null && response.status() != GrpcStatus.OK) {
        close(new RpcException(response.status(), GrpcGuard.statusMessage(response)));
        return;
      }
      response.handler(answer -> {
        Pending<?, ?> call = inFlight.remove(answer.getCallId());
        if (call != null) {
          vertx.cancelTimer(call.timer);
          call.answered(answer);
        }
      });
      response.exceptionHandler(e -> close(Rpc.toRpcException(e)));
      response.endHandler(v -> {
        if (response.status() == GrpcStatus.UNIMPLEMENTED) {
          unimplemented();
        } else {
          close(new RpcException(GrpcStatus.UNAVAILABLE, "the call session to " + address + " ended"));
        }
      });
    }

    /** The server does not serve sessions: it is called unary from now on, and so are the calls in flight. */
    private void unimplemented() {
      unaryServers.add(address);
      close(null);
    }

    void send(Pending<?, ?> call) {
      inFlight.put(call.id, call);
      if (broken) { // closed after this session was looked up: fail or re-route as close() would have
        settle(call, null);
        return;
      }
      call.timer = vertx.setTimer(Math.max(1, call.timeout.toMillis()), t -> {
        if (inFlight.remove(call.id) != null) {
          if (!stream.isComplete()) {
            // The session never opened within a whole call's deadline (a frozen server accepts TCP connections
            // and never answers the HTTP/2 handshake): give it up before the caller hears of it, so the next
            // call tries a new one rather than queue behind it for as long as the server stays frozen.
            close(new RpcException(GrpcStatus.UNAVAILABLE, "the call session to " + address + " did not open"));
          }
          call.fail(new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "no answer from " + address + " within "
              + call.timeout.toMillis() + " ms"));
        }
      });
      if (Vertx.currentContext() == context) {
        write(call);
      } else {
        context.runOnContext(v -> write(call));
      }
    }

    /**
     * On the session's context, the stream's own. A call that timed out (or was settled otherwise) before its
     * session opened is not sent: its caller was told it failed, so the server must not run it later.
     */
    private void write(Pending<?, ?> call) {
      if (stream.succeeded()) {
        stream.result().write(call.frame());
      } else {
        stream.onSuccess(request -> {
          if (inFlight.containsKey(call.id)) {
            request.write(call.frame());
          }
        });
      }
    }

    /**
     * Breaks the session: every call in flight fails with {@code failure}, or, when it is null (the server does not
     * serve sessions, so nothing ran), goes unary. The next call opens a new session.
     */
    void close(RpcException failure) {
      broken = true;
      sessions.remove(address, this);
      inFlight.values().forEach(call -> settle(call, failure));
      stream.onSuccess(request -> context.runOnContext(v -> {
        try {
          request.cancel();
        } catch (IllegalStateException alreadyEnded) {
          // the server ended it first: nothing to reset
        }
      }));
    }

    private void settle(Pending<?, ?> call, RpcException failure) {
      if (inFlight.remove(call.id) == null) {
        return;
      }
      vertx.cancelTimer(call.timer);
      if (failure == null) {
        call.sendUnary();
      } else {
        call.fail(failure);
      }
    }
  }
}
