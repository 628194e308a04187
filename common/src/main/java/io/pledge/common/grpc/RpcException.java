package io.pledge.common.grpc;

import io.vertx.grpc.common.GrpcStatus;
import java.util.Objects;

/**
 * A unary call that ended with a non-OK gRPC status, with the server's message kept (the generated Vert.x clients
 * drop it). {@link GrpcStatus#UNAVAILABLE} and {@link GrpcStatus#DEADLINE_EXCEEDED} also stand for connection
 * failures and client-side timeouts.
 */
public final class RpcException extends RuntimeException {

  private final GrpcStatus status;

  public RpcException(GrpcStatus status, String message) {
    super(status.name() + (message == null || message.isEmpty() ? "" : ": " + message)); // name: toString is the number
    this.status = Objects.requireNonNull(status);
  }

  public GrpcStatus status() {
    return status;
  }

  /** The server's message, without the status prefix. */
  public String detail() {
    String m = getMessage();
    int colon = m.indexOf(": ");
    return colon < 0 ? "" : m.substring(colon + 2);
  }
}
