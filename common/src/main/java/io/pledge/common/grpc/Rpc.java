package io.pledge.common.grpc;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcErrorException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.StatusException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/** Unary gRPC calls with a deadline, extra metadata and the server's status message kept on failure. */
public final class Rpc {

  /** How long after a call's deadline the client gives up on an answer that has not come. */
  static final long LOCAL_DEADLINE_GRACE_MS = 250;

  private Rpc() {}

  /**
   * Calls {@code method} and completes with the response, or fails with an {@link RpcException} carrying the
   * status and message: the server's own, {@code UNAVAILABLE} when it cannot be reached, {@code DEADLINE_EXCEEDED}
   * after {@code timeout}.
   */
  public static <Req, Resp> Future<Resp> call(GrpcClient client, SocketAddress address,
      ServiceMethod<Resp, Req> method, Req request, Duration timeout, Map<String, String> metadata) {
    return call(client, address, method, request, timeout, metadata, headers -> { });
  }

  /**
   * Like {@link #call(GrpcClient, SocketAddress, ServiceMethod, Object, Duration, Map)}, handing the response's
   * headers to {@code responseHeaders} when they arrive (before the response completes, also when its status is an
   * error).
   */
  public static <Req, Resp> Future<Resp> call(GrpcClient client, SocketAddress address,
      ServiceMethod<Resp, Req> method, Req request, Duration timeout, Map<String, String> metadata,
      java.util.function.Consumer<MultiMap> responseHeaders) {
    long millis = Math.max(1, timeout.toMillis());
    AtomicReference<GrpcClientRequest<Req, Resp>> sent = new AtomicReference<>();
    return client.request(address, method).compose(req -> {
      sent.set(req);
      req.timeout(millis, TimeUnit.MILLISECONDS);
      if (!metadata.isEmpty()) {
        MultiMap headers = req.headers();
        metadata.forEach(headers::set);
      }
      return req.end(request).compose(v -> req.response()).compose(response -> {
        responseHeaders.accept(response.headers());
        return last(response);
      });
    })
        // The deadline above is only sent to the server (Vert.x's client schedules no timer of its own), and no
        // deadline covers getting a stream at all: a frozen server (SIGSTOP, a stalled VM) keeps its TCP
        // connection, or accepts one it never answers, and the call would wait forever. The local bound comes a
        // little after the server's, so a server that is alive answers DEADLINE_EXCEEDED itself.
        .timeout(millis + LOCAL_DEADLINE_GRACE_MS, TimeUnit.MILLISECONDS)
        .recover(failure -> {
          if (failure instanceof TimeoutException) {
            GrpcClientRequest<Req, Resp> req = sent.get();
            if (req != null) {
              cancelQuietly(req);
            }
            return Future.failedFuture(new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "no answer from " + address
                + " within " + millis + " ms"));
          }
          return Future.failedFuture(toRpcException(failure));
        });
  }

  /** Resets a call's stream, so the server may stop working on it; one that already ended needs nothing. */
  private static void cancelQuietly(GrpcClientRequest<?, ?> request) {
    try {
      request.cancel();
    } catch (RuntimeException alreadyEnded) {
      // the stream ended in the meantime
    }
  }

  public static <Req, Resp> Future<Resp> call(GrpcClient client, SocketAddress address,
      ServiceMethod<Resp, Req> method, Req request, Duration timeout) {
    return call(client, address, method, request, timeout, Map.of());
  }

  private static <Req, Resp> Future<Resp> last(GrpcClientResponse<Req, Resp> response) {
    if (response.status() != null && response.status() != GrpcStatus.OK) {
      return Future.failedFuture(new RpcException(response.status(), GrpcGuard.statusMessage(response)));
    }
    return response.last().recover(failure -> {
      if (response.status() != null && response.status() != GrpcStatus.OK) {
        return Future.failedFuture(new RpcException(response.status(), GrpcGuard.statusMessage(response)));
      }
      return Future.failedFuture(failure);
    });
  }

  /** Maps whatever a call failed with onto a status a caller can act on. */
  public static RpcException toRpcException(Throwable failure) {
    if (failure instanceof RpcException e) {
      return e;
    }
    if (failure instanceof GrpcErrorException e) {
      return new RpcException(e.status(), String.valueOf(e.getMessage()));
    }
    if (failure instanceof io.vertx.grpc.common.MessageSizeOverflowException e) {
      return new RpcException(GrpcStatus.RESOURCE_EXHAUSTED, "the reply of " + e.messageSize()
          + " bytes is larger than this client accepts");
    }
    if (failure instanceof TimeoutException) {
      return new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "no answer in time");
    }
    if (failure instanceof ConnectException || failure instanceof StreamResetException
        || failure instanceof io.vertx.core.http.HttpClosedException) {
      return new RpcException(GrpcStatus.UNAVAILABLE, failure.getMessage());
    }
    String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    if (message.toLowerCase().contains("timeout") || message.toLowerCase().contains("timed out")) {
      return new RpcException(GrpcStatus.DEADLINE_EXCEEDED, message);
    }
    return new RpcException(GrpcStatus.UNAVAILABLE, message);
  }

  /** A failure a server handler returns: the client sees {@code status} with {@code message}. */
  public static StatusException status(GrpcStatus status, String message) {
    return new StatusException(status, message);
  }

  public static <T> Future<T> fail(GrpcStatus status, String message) {
    return Future.failedFuture(new StatusException(status, message));
  }
}
