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

  /**
   * Sent with {@link #HEADER} by a client that collects enlistments itself (the short path, {@link
   * io.pledge.participant.client.TransactionClient#call(String, String, java.util.function.Function)}): value {@value
   * #REPORT}. A participant then joins without calling Enlist and names itself in its answer ({@link #ENLISTED}).
   */
  public static final String ENLIST_HEADER = "pledge-tx-enlist";

  /** The value of {@link #ENLIST_HEADER}. */
  public static final String REPORT = "report";

  /** The transaction's deadline (epoch milliseconds) on the short path: an unprepared branch ends after it. */
  public static final String DEADLINE_HEADER = "pledge-tx-deadline";

  /**
   * The answer's header naming each participant that joined on the short path: {@code "<participant id>
   * <host:port>"}, one value each (the id is everything before the last space).
   */
  public static final String ENLISTED = "pledge-enlisted";

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

  /** What a request says of the transaction it works for. */
  public record Joining(String txId, boolean report, long deadlineMillis) {}

  /** The transaction a gRPC request works for, if it names one. */
  public static Optional<Joining> joining(GrpcServerRequest<?, ?> request) {
    return joining(request.headers());
  }

  public static Optional<Joining> joining(HttpServerRequest request) {
    return joining(request.headers());
  }

  private static Optional<Joining> joining(MultiMap headers) {
    return read(headers).map(txId -> {
      boolean report = REPORT.equals(headers.get(ENLIST_HEADER));
      long deadline = 0;
      String d = headers.get(DEADLINE_HEADER);
      if (d != null) {
        try {
          deadline = Math.max(0, Long.parseLong(d.trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(DEADLINE_HEADER + " is not a number of epoch milliseconds");
        }
      }
      return new Joining(txId, report, deadline);
    });
  }

  /**
   * Joins the transaction an HTTP request works for as participant {@code participantId}: on the short path without
   * a call to the coordinator, naming the participant in the response's {@link #ENLISTED} header (set here, so write
   * the response after this completes); otherwise by Enlist. Completes with the transaction id; fails with {@link
   * IllegalArgumentException} when the request names none or a malformed one.
   */
  public static Future<String> join(ParticipantNode node, String participantId, HttpServerRequest request) {
    Optional<Joining> joining;
    try {
      joining = joining(request);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    if (joining.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("header " + HEADER + " is missing"));
    }
    Joining j = joining.get();
    return join(node, participantId, j, request.response().headers()).map(j.txId());
  }

  /** Joins as {@code j} asks; on the short path, once joined, names the participant in {@code answer}. */
  private static Future<Void> join(ParticipantNode node, String participantId, Joining j, MultiMap answer) {
    if (!j.report()) {
      return node.join(participantId, j.txId());
    }
    return node.joinReported(participantId, j.txId(), j.deadlineMillis())
        .onSuccess(v -> answer.add(ENLISTED, participantId + " " + node.endpoint()));
  }

  /** The participants an answer names as joined on the short path ({@link #ENLISTED}): id and endpoint. */
  public static java.util.List<Map.Entry<String, String>> enlisted(MultiMap responseHeaders) {
    java.util.List<String> values = responseHeaders.getAll(ENLISTED);
    if (values.isEmpty()) {
      return java.util.List.of();
    }
    java.util.List<Map.Entry<String, String>> out = new java.util.ArrayList<>(values.size());
    for (String v : values) {
      int space = v.lastIndexOf(' ');
      if (space <= 0 || space == v.length() - 1) {
        throw new IllegalArgumentException(ENLISTED + " value '" + v + "' is not '<participant id> <host:port>'");
      }
      out.add(Map.entry(v.substring(0, space), v.substring(space + 1)));
    }
    return out;
  }

  /**
   * Wraps a gRPC handler of a service that works with resource {@code participantId}: a request with the header
   * first joins the transaction ({@link ParticipantNode#join}, or on the short path {@link
   * ParticipantNode#joinReported} and the answer names the participant in {@link #ENLISTED}); if that fails, the
   * call ends with FAILED_PRECONDITION (or UNAVAILABLE when the coordinator cannot be reached) and the handler does
   * not run.
   */
  public static <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> joining(ParticipantNode node,
      String participantId, Handler<GrpcServerRequest<Req, Resp>> handler) {
    return request -> {
      Optional<Joining> joining;
      try {
        joining = joining(request);
      } catch (IllegalArgumentException e) {
        request.response().status(GrpcStatus.INVALID_ARGUMENT).statusMessage(e.getMessage()).end();
        return;
      }
      if (joining.isEmpty()) {
        handler.handle(request);
        return;
      }
      String txId = joining.get().txId();
      request.pause();
      Future<Void> joined = join(node, participantId, joining.get(), request.response().headers());
      joined.onComplete(ar -> {
        if (ar.succeeded()) {
          handler.handle(request);
          request.resume();
        } else {
          // The coordinator's own status when enlisting failed there; otherwise the branch refused the join.
          GrpcStatus status = ar.cause() instanceof io.pledge.common.grpc.RpcException e
              ? e.status() : GrpcStatus.FAILED_PRECONDITION;
          request.response().status(status).statusMessage("cannot join transaction " + txId + ": "
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
