package io.pledge.lock.transport;

import io.pledge.api.v1.AcquireLockResponse;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.LockHolderInfo;
import io.pledge.api.v1.LockSummary;
import io.pledge.api.v1.LockWaiterInfo;
import io.pledge.lock.cluster.LockFailure;
import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.LockTable;
import io.pledge.api.v1.RenewLockRequest;
import io.pledge.lock.table.Waiter;
import io.vertx.grpc.common.GrpcStatus;

/** The one place where protobuf types meet the lock table's. */
public final class Protos {

  private Protos() {}

  public static LockMode mode(io.pledge.api.v1.LockMode mode) {
    return switch (mode) {
      case LOCK_MODE_UNSPECIFIED, LOCK_MODE_EXCLUSIVE -> LockMode.EXCLUSIVE;
      case LOCK_MODE_SHARED -> LockMode.SHARED;
      default -> throw new IllegalArgumentException("unknown lock mode " + mode);
    };
  }

  /** The holder's re-assertion carried by a renew, or null for a plain renew (no mode given). */
  public static LockTable.Reassertion reassertion(RenewLockRequest r) {
    if (r.getReassertMode() == io.pledge.api.v1.LockMode.LOCK_MODE_UNSPECIFIED) {
      return null;
    }
    if (r.getReassertHoldCount() < 0) {
      throw new IllegalArgumentException("reassert_hold_count must not be negative, got " + r.getReassertHoldCount());
    }
    return new LockTable.Reassertion(mode(r.getReassertMode()), r.getReassertHoldCount());
  }

  public static io.pledge.api.v1.LockMode mode(LockMode mode) {
    return mode == LockMode.SHARED ? io.pledge.api.v1.LockMode.LOCK_MODE_SHARED
        : io.pledge.api.v1.LockMode.LOCK_MODE_EXCLUSIVE;
  }

  public static AcquireLockResponse granted(String lock, Holder h) {
    return AcquireLockResponse.newBuilder().setLock(lock).setOwner(h.owner()).setMode(mode(h.mode()))
        .setFencingToken(h.token()).setHoldCount(h.count()).setLeaseExpiresAtMs(h.expiresAt()).build();
  }

  public static InspectLockResponse inspect(LockState s) {
    return inspect(s, h -> true);
  }

  /** {@code tokenVisible}: whose fencing tokens the caller may see (others' read 0: issue 14). */
  public static InspectLockResponse inspect(LockState s, java.util.function.Predicate<Holder> tokenVisible) {
    InspectLockResponse.Builder b = InspectLockResponse.newBuilder().setLock(s.name())
        // The last token is the newest holder's: shown only to whom every holder's token is.
        .setLastFencingToken(s.holders().stream().allMatch(tokenVisible) ? s.lastToken() : 0)
        .setNotBeforeMs(s.notBefore());
    for (Holder h : s.holders()) {
      b.addHolders(holder(h, tokenVisible.test(h)));
    }
    for (Waiter w : s.waiters()) {
      b.addWaiters(LockWaiterInfo.newBuilder().setOwner(w.owner()).setMode(mode(w.mode()))
          .setWaitingSinceMs(w.since()));
    }
    return b.build();
  }

  /** A lock in a listing: holders in full, waiters counted. */
  public static LockSummary summary(LockState s) {
    return summary(s, h -> true);
  }

  public static LockSummary summary(LockState s, java.util.function.Predicate<Holder> tokenVisible) {
    LockSummary.Builder b = LockSummary.newBuilder().setLock(s.name()).setWaiters(s.waiters().size())
        .setMode(s.holders().isEmpty() ? io.pledge.api.v1.LockMode.LOCK_MODE_UNSPECIFIED
            : mode(s.holders().get(0).mode()));
    for (Holder h : s.holders()) {
      b.addHolders(holder(h, tokenVisible.test(h)));
    }
    return b.build();
  }

  private static LockHolderInfo holder(Holder h, boolean tokenVisible) {
    // A token hidden reads 0, which no grant has (tokens are positive): knowing it would let a non-owner pass a
    // resource's fencing check.
    return LockHolderInfo.newBuilder().setOwner(h.owner()).setMode(mode(h.mode()))
        .setFencingToken(tokenVisible ? h.token() : 0)
        .setHoldCount(h.count()).setLeaseExpiresAtMs(h.expiresAt()).build();
  }

  public static GrpcStatus status(LockFailure.Kind kind) {
    return switch (kind) {
      case INVALID -> GrpcStatus.INVALID_ARGUMENT;
      case BUSY, ALREADY_WAITING, TOKEN_MISMATCH -> GrpcStatus.FAILED_PRECONDITION;
      case NOT_HELD -> GrpcStatus.NOT_FOUND;
      case TIMEOUT -> GrpcStatus.DEADLINE_EXCEEDED;
      case DEADLOCK, CANCELLED -> GrpcStatus.ABORTED;
      case UNAVAILABLE -> GrpcStatus.UNAVAILABLE;
      case NOT_OWNER -> GrpcStatus.PERMISSION_DENIED;
    };
  }
}
