package io.pledge.coordinator.protocol;

/** A request the coordinator refuses; {@link #code} maps onto a gRPC status at the edge. */
public final class CoordinatorException extends RuntimeException {

  public enum Code {
    INVALID_ARGUMENT,
    NOT_FOUND,
    FAILED_PRECONDITION,
    /** A bound of {@link Limits} would be passed; the message names it and its setting. */
    RESOURCE_EXHAUSTED,
    /** The request names something a setting forbids (an Enlist endpoint outside the allow-list). */
    PERMISSION_DENIED,
    /** Not ready yet (recovering) or shutting down. */
    UNAVAILABLE
  }

  private final Code code;

  public CoordinatorException(Code code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
