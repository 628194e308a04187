package io.pledge.participant.propagation;

import io.pledge.participant.endpoint.ParticipantNode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.Map;
import java.util.Optional;

/**
 * Carries the transaction id from the service that began it to the services it calls, in one header:
 * {@value #HEADER}, the same name as gRPC metadata key and as HTTP header (lower case; HTTP/2 requires it).
 *
 * <p>Vert.x gRPC 5.0 has no interceptor API, so the hooks are explicit: {@link #attach} on an outgoing client
 * request (or {@link #metadata} for {@code Rpc.call}), and on the server {@link #joining}, which wraps a handler so
 * that a request carrying a transaction id enlists the participant (once per transaction) before the handler runs.
 */
public final class TxPropagation {

  /** The header (gRPC metadata key and HTTP header) that carries the transaction id. */
  public static final String HEADER = "pledge-tx-id";

  /** Longest transaction id accepted from a header. */
  public static final int MAX_TX_ID = 256;

  private TxPropagation() {}

  /** Metadata for {@code io.pledge.common.grpc.Rpc.call(..., metadata)}. */
  public static Map<String, String> metadata(String txId) {
    return Map.of(HEADER, requireValid(txId));
  }

  /** Adds the header to an outgoing gRPC request. */
  public static void attach(GrpcClientRequest<?, ?> request, String txId) {
    request.headers().set(HEADER, requireValid(txId));
  }

  public static void attach(HttpClientRequest request, String txId) {
    request.putHeader(HEADER, requireValid(txId));
  }

  public static RequestOptions attach(RequestOptions options, String txId) {
    return options.putHeader(HEADER, requireValid(txId));
  }

  public static Optional<String> txId(GrpcServerRequest<?, ?> request) {
    return read(request.headers());
  }

  public static Optional<String> txId(HttpServerRequest request) {
    return read(request.headers());
  }

  /**
   * Wraps a gRPC handler of a service that works with resource {@code participantId}: a request with the header
   * first joins the transaction ({@link ParticipantNode#join}); if that fails, the call ends with
   * FAILED_PRECONDITION (or UNAVAILABLE when the coordinator cannot be reached) and the handler does not run.
   */
  public static <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> joining(ParticipantNode node,
      String participantId, Handler<GrpcServerRequest<Req, Resp>> handler) {
    return request -> {
      Optional<String> txId;
      try {
        txId = txId(request);
      } catch (IllegalArgumentException e) {
        request.response().status(GrpcStatus.INVALID_ARGUMENT).statusMessage(e.getMessage()).end();
        return;
      }
      if (txId.isEmpty()) {
        handler.handle(request);
        return;
      }
      request.pause();
      Future<Void> joined = node.join(participantId, txId.get());
      joined.onComplete(ar -> {
        if (ar.succeeded()) {
          handler.handle(request);
          request.resume();
        } else {
          // The coordinator's own status when enlisting failed there; otherwise the branch refused the join.
          GrpcStatus status = ar.cause() instanceof io.pledge.common.grpc.RpcException e
              ? e.status() : GrpcStatus.FAILED_PRECONDITION;
          request.response().status(status).statusMessage("cannot join transaction " + txId.get() + ": "
              + ar.cause().getMessage()).end();
        }
      });
    };
  }

  private static Optional<String> read(MultiMap headers) {
    String value = headers.get(HEADER);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(requireValid(value.trim()));
  }

  private static String requireValid(String txId) {
    if (txId == null || txId.isBlank()) {
      throw new IllegalArgumentException(HEADER + " is empty");
    }
    if (txId.length() > MAX_TX_ID) {
      throw new IllegalArgumentException(HEADER + " is longer than " + MAX_TX_ID + " characters");
    }
    return txId;
  }
}
