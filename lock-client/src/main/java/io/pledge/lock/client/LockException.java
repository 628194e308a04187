package io.pledge.lock.client;

import io.pledge.common.grpc.RpcException;
import io.vertx.grpc.common.GrpcStatus;

/** A lock call failed; subclasses say how, so callers can catch what they can act on. */
public class LockException extends RuntimeException {

  private final GrpcStatus status;

  public LockException(GrpcStatus status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public GrpcStatus status() {
    return status;
  }

  /** TryAcquire found the lock held (FAILED_PRECONDITION LOCK_BUSY). */
  public static final class Busy extends LockException {
    Busy(String message, Throwable cause) {
      super(GrpcStatus.FAILED_PRECONDITION, message, cause);
    }
  }

  /** This owner was the victim of a deadlock (ABORTED DEADLOCK): give up the transaction. */
  public static final class Deadlock extends LockException {
    Deadlock(String message, Throwable cause) {
      super(GrpcStatus.ABORTED, message, cause);
    }
  }

  /** Not granted within the wait (DEADLINE_EXCEEDED). */
  public static final class Timeout extends LockException {
    Timeout(String message, Throwable cause) {
      super(GrpcStatus.DEADLINE_EXCEEDED, message, cause);
    }
  }

  /** The owner does not hold the lock (NOT_FOUND): released, expired, or never granted. */
  public static final class NotHeld extends LockException {
    NotHeld(String message, Throwable cause) {
      super(GrpcStatus.NOT_FOUND, message, cause);
    }
  }

  /** The service cannot decide now (UNAVAILABLE: no quorum, unreachable); nothing was granted. */
  public static final class Unavailable extends LockException {
    Unavailable(String message, Throwable cause) {
      super(GrpcStatus.UNAVAILABLE, message, cause);
    }
  }

  /** Maps a failed call to the matching exception. */
  public static LockException from(Throwable failure) {
    if (failure instanceof LockException e) {
      return e;
    }
    RpcException rpc = io.pledge.common.grpc.Rpc.toRpcException(failure);
    String msg = rpc.getMessage();
    return switch (rpc.status()) {
      case ABORTED -> rpc.detail().startsWith("DEADLOCK") ? new Deadlock(msg, rpc) : new LockException(rpc.status(),
          msg, rpc);
      case DEADLINE_EXCEEDED -> new Timeout(msg, rpc);
      case NOT_FOUND -> new NotHeld(msg, rpc);
      case UNAVAILABLE -> new Unavailable(msg, rpc);
      case FAILED_PRECONDITION -> rpc.detail().startsWith("LOCK_BUSY") ? new Busy(msg, rpc)
          : new LockException(rpc.status(), msg, rpc);
      default -> new LockException(rpc.status(), msg, rpc);
    };
  }
}
