package io.pledge.lock.transport;

import io.pledge.api.v1.AcquireLockRequest;
import io.pledge.api.v1.AcquireLockResponse;
import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.ListLocksRequest;
import io.pledge.api.v1.ListLocksResponse;
import io.pledge.api.v1.LockQueued;
import io.pledge.api.v1.LockServiceGrpcService;
import io.pledge.api.v1.LockServiceService;
import io.pledge.api.v1.LockWaitEvent;
import io.pledge.api.v1.ReleaseAllLocksRequest;
import io.pledge.api.v1.ReleaseAllLocksResponse;
import io.pledge.api.v1.ReleaseLockRequest;
import io.pledge.api.v1.ReleaseLockResponse;
import io.pledge.api.v1.RenewLockRequest;
import io.pledge.api.v1.RenewLockResponse;
import io.pledge.common.grpc.GrpcGuard;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.tls.Principal;
import io.pledge.common.tls.Role;
import io.pledge.common.grpc.SessionRoutes;
import io.pledge.lock.cluster.LockEngine;
import io.pledge.lock.cluster.LockFailure;
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.Holder;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** The gRPC face of the {@link LockEngine}: validates, converts, maps failures to statuses. No logic of its own. */
public final class LockGrpcService extends LockServiceService {

  private static final int MAX_LISTED = 1000;

  private final LockEngine engine;
  private final RequestLimits limits;
  private final WaitBudget waits;

  public LockGrpcService(LockEngine engine, RequestLimits limits) {
    this(engine, limits, WaitBudget.DEFAULT_PER_OWNER);
  }

  /** @param waitsPerOwner lock waits one owner may have in progress; past it RESOURCE_EXHAUSTED */
  public LockGrpcService(LockEngine engine, RequestLimits limits, int waitsPerOwner) {
    this.engine = engine;
    this.limits = limits;
    this.waits = new WaitBudget(waitsPerOwner);
  }

  @Override
  public Future<AcquireLockResponse> acquire(AcquireLockRequest request) {
    return acquire(request, true, d -> { });
  }

  @Override
  public Future<AcquireLockResponse> tryAcquire(AcquireLockRequest request) {
    return acquire(request, false, d -> { });
  }

  /**
   * The caller's identity as the lock table checks it (issue 14): empty when none is known (plaintext, TLS without a
   * policy) and for an operator, who may act for any owner.
   */
  private static String checkedIdentity() {
    return GrpcGuard.principal().filter(p -> !p.has(Role.OPERATOR)).map(Principal::identity).orElse("");
  }

  /** Whether the caller may see a holder's fencing token: its own grant, or an operator, or no identities at all. */
  private static java.util.function.Predicate<Holder> tokenVisible() {
    Optional<Principal> by = GrpcGuard.principal();
    if (by.isEmpty() || by.get().has(Role.OPERATOR)) {
      return h -> true;
    }
    String identity = by.get().identity();
    return h -> h.identity().equals(identity);
  }

  private Future<AcquireLockResponse> acquire(AcquireLockRequest r, boolean mayWait, Consumer<Decision> onQueued) {
    String identity = GrpcGuard.principal().map(Principal::identity).orElse("");
    return guarded(() -> {
      String lock = RequestLimits.id("lock", r.getLock());
      String owner = RequestLimits.id("owner", r.getOwner());
      long lease = limits.leaseMs(r.getLeaseMs());
      Duration wait = limits.waitFor(r.getWaitTimeoutMs());
      if (mayWait && !waits.tryTake(owner)) {
        return Rpc.fail(GrpcStatus.RESOURCE_EXHAUSTED, waits.exhausted(owner));
      }
      try {
        Future<AcquireLockResponse> granted = engine.acquire(lock, owner, Protos.mode(r.getMode()), lease, mayWait,
            wait, onQueued, identity).result().map(h -> Protos.granted(lock, h));
        return mayWait ? granted.andThen(ar -> waits.give(owner)) : granted;
      } catch (RuntimeException e) {
        if (mayWait) {
          waits.give(owner);
        }
        throw e;
      }
    });
  }

  /**
   * Binds this service on {@code server}, unary and over call sessions. AcquireStream gets its own handler: the generated one does not expose the
   * call, and the server must see the client cancel it to withdraw the wait.
   */
  public void bindTo(GrpcServer server) {
    server.addService(LockServiceGrpcService.builder(this).bind(LockServiceGrpcService.Acquire,
        LockServiceGrpcService.TryAcquire, LockServiceGrpcService.Renew, LockServiceGrpcService.Release,
        LockServiceGrpcService.ReleaseAll, LockServiceGrpcService.Inspect, LockServiceGrpcService.List).build());
    server.callHandler(LockServiceGrpcService.AcquireStream, this::acquireStreamCall);
    SessionRoutes.lockService(this).bindTo(server);
  }

  /**
   * The call's handlers are set before the request is read, so that a cancel or a closed connection is seen whenever
   * it comes: before the wait starts (it is withdrawn as soon as it has an id), or while it waits.
   */
  private void acquireStreamCall(GrpcServerRequest<AcquireLockRequest, LockWaitEvent> call) {
    StreamWait stream = new StreamWait();
    call.errorHandler(error -> stream.gone("the AcquireStream call was cancelled (" + error + ")"));
    call.exceptionHandler(e -> stream.gone("the AcquireStream call failed: " + e.getMessage()));
    // A closed connection reaches only the response once the request has ended (the client sent it whole).
    call.response().exceptionHandler(e -> stream.gone("the AcquireStream caller is gone: " + e));
    String identity = GrpcGuard.principal().map(Principal::identity).orElse("");
    call.handler(request -> stream.started(acquireStream(request, call.response(), identity)));
  }

  /** One AcquireStream call's wait and whether its caller went away; on the call's event loop only. */
  private final class StreamWait {
    private String waitId;
    private String goneReason;

    void started(String id) {
      waitId = id;
      if (id != null && goneReason != null) {
        engine.cancel(id, goneReason);
      }
    }

    void gone(String reason) {
      if (goneReason != null) {
        return;
      }
      goneReason = reason;
      if (waitId != null) {
        engine.cancel(waitId, reason);
      }
    }
  }

  /** Starts the wait and streams its progress; returns the wait id, or null if the request was refused at once. */
  private String acquireStream(AcquireLockRequest r, GrpcServerResponse<AcquireLockRequest, LockWaitEvent> response,
      String identity) {
    LockEngine.Pending pending;
    String lock;
    String owner = null;
    boolean taken = false;
    try {
      lock = RequestLimits.id("lock", r.getLock());
      owner = RequestLimits.id("owner", r.getOwner());
      taken = waits.tryTake(owner);
      if (!taken) {
        response.status(GrpcStatus.RESOURCE_EXHAUSTED).statusMessage(waits.exhausted(owner)).end();
        return null;
      }
      pending = engine.acquire(lock, owner, Protos.mode(r.getMode()), limits.leaseMs(r.getLeaseMs()), true,
          limits.waitFor(r.getWaitTimeoutMs()), d -> response.write(LockWaitEvent.newBuilder()
              .setQueued(LockQueued.newBuilder().setPosition(d.position()).addAllBlockedBy(d.blockedBy())).build()),
          identity);
    } catch (IllegalArgumentException e) {
      if (taken) {
        waits.give(owner);
      }
      response.status(GrpcStatus.INVALID_ARGUMENT).statusMessage(e.getMessage()).end();
      return null;
    }
    String waiting = owner;
    pending.result().onComplete(ar -> waits.give(waiting));
    pending.result().onComplete(ar -> {
      if (ar.succeeded()) {
        response.end(LockWaitEvent.newBuilder().setGranted(Protos.granted(lock, ar.result())).build());
      } else {
        var failure = toStatus(ar.cause());
        response.status(failure.status()).statusMessage(failure.getMessage()).end();
      }
    });
    return pending.waitId();
  }

  @Override
  public Future<RenewLockResponse> renew(RenewLockRequest r) {
    String caller = checkedIdentity();
    return guarded(() -> engine.renew(RequestLimits.id("lock", r.getLock()), RequestLimits.id("owner", r.getOwner()),
        RequestLimits.token(r.getFencingToken()), limits.leaseMs(r.getLeaseMs()), Protos.reassertion(r), caller)
        .map(done -> RenewLockResponse.newBuilder().setLeaseExpiresAtMs(done.holder().expiresAt())
            .setReasserted(done.reasserted()).build()));
  }

  @Override
  public Future<ReleaseLockResponse> release(ReleaseLockRequest r) {
    String caller = checkedIdentity();
    return guarded(() -> engine.release(RequestLimits.id("lock", r.getLock()),
        RequestLimits.id("owner", r.getOwner()), RequestLimits.token(r.getFencingToken()), caller)
        .map(left -> ReleaseLockResponse.newBuilder().setHoldCount(left).build()));
  }

  @Override
  public Future<ReleaseAllLocksResponse> releaseAll(ReleaseAllLocksRequest r) {
    return guarded(() -> engine.releaseAll(RequestLimits.id("owner", r.getOwner()))
        .map(done -> ReleaseAllLocksResponse.newBuilder()
            .addAllReleased(done.locks().subList(0, Math.min(MAX_LISTED, done.locks().size())))
            .setCancelledWaits(done.cancelledWaits()).build()));
  }

  @Override
  public Future<InspectLockResponse> inspect(InspectLockRequest r) {
    java.util.function.Predicate<Holder> visible = tokenVisible();
    return guarded(() -> engine.inspect(RequestLimits.id("lock", r.getLock())).map(s -> Protos.inspect(s, visible)));
  }

  @Override
  public Future<ListLocksResponse> list(ListLocksRequest r) {
    java.util.function.Predicate<Holder> visible = tokenVisible();
    return guarded(() -> {
      int pageSize = LockPages.pageSize(r.getPageSize());
      String prefix = LockPages.prefix(r.getPrefix());
      String after = LockPages.after(r.getPageToken(), prefix);
      // One more than asked: whether it comes tells if there is a next page.
      return engine.list(prefix, after, pageSize + 1).map(page -> {
        ListLocksResponse.Builder b = ListLocksResponse.newBuilder();
        page.stream().limit(pageSize).forEach(s -> b.addLocks(Protos.summary(s, visible)));
        if (page.size() > pageSize) {
          b.setNextPageToken(LockPages.token(page.get(pageSize - 1).name()));
        }
        return b.build();
      });
    });
  }

  private static <T> Future<T> guarded(Supplier<Future<T>> call) {
    Future<T> f;
    try {
      f = call.get();
    } catch (IllegalArgumentException e) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, e.getMessage());
    }
    return f.recover(failure -> Future.failedFuture(toStatus(failure)));
  }

  private static io.vertx.grpc.server.StatusException toStatus(Throwable failure) {
    if (failure instanceof LockFailure f) {
      return Rpc.status(Protos.status(f.kind()), f.getMessage());
    }
    if (failure instanceof io.vertx.grpc.server.StatusException s) {
      return s;
    }
    return Rpc.status(GrpcStatus.INTERNAL, String.valueOf(failure));
  }
}
