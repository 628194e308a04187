package io.pledge.lock.cluster;

import java.util.Objects;

/** Why a lock operation failed; the transport maps {@link Kind} to a gRPC status in one place. */
public final class LockFailure extends RuntimeException {

  public enum Kind {
    /** Malformed request. */
    INVALID,
    /** TryAcquire on a held lock (or one in lock-delay). */
    BUSY,
    /** The owner already waits for this lock. */
    ALREADY_WAITING,
    /** Release/renew by an owner that does not hold the lock (never did, released, or the lease expired). */
    NOT_HELD,
    /** Release/renew with a token that is not the owner's current grant. */
    TOKEN_MISMATCH,
    /** Not granted before the wait deadline. */
    TIMEOUT,
    /** The waiter was chosen as the victim of a wait-for cycle. */
    DEADLOCK,
    /** The wait was withdrawn (ReleaseAll, client gone). */
    CANCELLED,
    /** The owner name belongs to another identity than the caller's (docs/security.md). */
    NOT_OWNER,
    /** This side of the cluster has no quorum, or the cluster cannot be reached. */
    UNAVAILABLE
  }

  private final Kind kind;

  public LockFailure(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public LockFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
