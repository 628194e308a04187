package io.pledge.common.grpc;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
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

/** Unary gRPC calls with a deadline, extra metadata and the server's status message kept on failure. */
public final class Rpc {

  private Rpc() {}

  /**
   * Calls {@code method} and completes with the response, or fails with an {@link RpcException} carrying the
   * status and message: the server's own, {@code UNAVAILABLE} when it cannot be reached, {@code DEADLINE_EXCEEDED}
   * after {@code timeout}.
   */
  public static <Req, Resp> Future<Resp> call(GrpcClient client, SocketAddress address,
      ServiceMethod<Resp, Req> method, Req request, Duration timeout, Map<String, String> metadata) {
    return client.request(address, method).compose(req -> {
      req.timeout(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
      if (!metadata.isEmpty()) {
        MultiMap headers = req.headers();
        metadata.forEach(headers::set);
      }
      return req.end(request).compose(v -> req.response()).compose(Rpc::last);
    }).recover(failure -> Future.failedFuture(toRpcException(failure)));
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
