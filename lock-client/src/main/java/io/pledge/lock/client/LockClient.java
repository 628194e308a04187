package io.pledge.lock.client;

import com.google.protobuf.MessageLite;
import io.pledge.api.v1.AcquireLockRequest;
import io.pledge.api.v1.AcquireLockResponse;
import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.LockMode;
import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.ReleaseAllLocksRequest;
import io.pledge.api.v1.ReleaseAllLocksResponse;
import io.pledge.api.v1.ReleaseLockRequest;
import io.pledge.api.v1.RenewLockRequest;
import io.pledge.api.v1.RenewLockResponse;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.tls.TlsOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.ServiceMethod;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Java client of the lock service. Every call has an async form (a Vert.x {@link Future}; {@code toCompletionStage()}
 * gives a {@code CompletionStage}) and a blocking form for plain threads (never call those on an event loop). Failures
 * are {@link LockException}s. A granted lock is a {@link LockHandle}: close it (try-with-resources) to release; with
 * {@code autoRenew} its lease is renewed at a third of its length until then, and {@code onRenewalFailure} is told if a
 * renewal fails (the lock may be lost: a participant should vote no).
 */
public final class LockClient implements AutoCloseable {

  /** Extra time the client gives the server beyond the wait, so that the server's own deadline answers first. */
  private static final Duration CALL_MARGIN = Duration.ofSeconds(5);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  /**
   * HTTP/2 connections per client. One connection is served by one event loop at each end; several let a server with
   * several event loops ({@code grpc.event-loops}) work on one client's calls in parallel, which pays only with cores
   * to spare: on 2 cores one connection batched more per write and cost less CPU per call (docs/decisions.md).
   */
  public static final int DEFAULT_CONNECTIONS = 1;

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final CallSessions[] connections;
  private final AtomicInteger next = new AtomicInteger();
  private final SocketAddress address;

  private LockClient(Vertx vertx, boolean ownsVertx, Endpoint endpoint, HttpClientOptions transport,
      int connections) {
    this(vertx, ownsVertx, endpoint, transport, connections, Optional.empty());
  }

  private LockClient(Vertx vertx, boolean ownsVertx, Endpoint endpoint, HttpClientOptions transport,
      int connections, Optional<TlsOptions> tls) {
    if (connections < 1) {
      throw new IllegalArgumentException("connections must be at least 1, got " + connections);
    }
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    // One gRPC client (one pooled HTTP/2 connection, one call session) per connection, used in turn: an HTTP/2
    // pool of several connections only opens the second when the first is at its stream limit.
    this.connections = new CallSessions[connections];
    for (int i = 0; i < connections; i++) {
      // Each call goes out at once: a lock call sits on its caller's critical path, and 64 callers measured a lower
      // p99 this way (5.2 -> 4.3 ms) for a little less throughput (docs/decisions.md).
      this.connections[i] = new CallSessions(vertx, transport, Map.of(), false, tls);
    }
    this.address = endpoint.toSocketAddress();
  }

  /** A client on the caller's Vert.x. */
  public static LockClient create(Vertx vertx, Endpoint endpoint) {
    return create(vertx, endpoint, new HttpClientOptions().setConnectTimeout(2000), DEFAULT_CONNECTIONS);
  }

  /**
   * A client on the caller's Vert.x with its own transport options (TLS, timeouts; made fit for gRPC by
   * {@link GrpcTransport}, ALPN included) and {@code connections} HTTP/2 connections to the server.
   */
  public static LockClient create(Vertx vertx, Endpoint endpoint, HttpClientOptions transport, int connections) {
    return new LockClient(vertx, false, endpoint, transport, connections);
  }

  /**
   * A client on the caller's Vert.x over TLS when {@code tls} is given: its certificate (reloaded as the files
   * change) is the caller's identity to the lock service.
   */
  public static LockClient create(Vertx vertx, Endpoint endpoint, Optional<TlsOptions> tls) {
    return new LockClient(vertx, false, endpoint, new HttpClientOptions().setConnectTimeout(2000),
        DEFAULT_CONNECTIONS, tls);
  }

  /** A client with its own Vert.x, closed with the client: for plain blocking code. */
  public static LockClient create(Endpoint endpoint) {
    return new LockClient(Vertx.vertx(), true, endpoint, new HttpClientOptions().setConnectTimeout(2000),
        DEFAULT_CONNECTIONS);
  }

  /** What to acquire; {@code autoRenew} keeps the lease alive until the handle is closed. */
  public record Request(String lock, String owner, LockMode mode, Duration lease, Duration maxWait, boolean autoRenew,
      BiConsumer<LockHandle, LockException> onRenewalFailure) {

    public static Request exclusive(String lock, String owner, Duration lease) {
      return new Request(lock, owner, LockMode.LOCK_MODE_EXCLUSIVE, lease, Duration.ZERO, false, (h, e) -> { });
    }

    public Request shared() {
      return new Request(lock, owner, LockMode.LOCK_MODE_SHARED, lease, maxWait, autoRenew, onRenewalFailure);
    }

    public Request waitingUpTo(Duration newWait) {
      return new Request(lock, owner, mode, lease, newWait, autoRenew, onRenewalFailure);
    }

    public Request autoRenew(BiConsumer<LockHandle, LockException> onFailure) {
      return new Request(lock, owner, mode, lease, maxWait, true, onFailure);
    }

    AcquireLockRequest proto() {
      return AcquireLockRequest.newBuilder().setLock(lock).setOwner(owner).setMode(mode)
          .setLeaseMs(lease.toMillis()).setWaitTimeoutMs(maxWait.toMillis()).build();
    }
  }

  /** Waits (FIFO) up to the request's wait for the lock. */
  public Future<LockHandle> acquire(Request request) {
    Duration timeout = (request.maxWait().isZero() ? Duration.ofSeconds(30) : request.maxWait()).plus(CALL_MARGIN);
    return call(LockServiceGrpcClient.Acquire, request.proto(), timeout).map(r -> handle(request, r));
  }

  /** Granted now, or fails with {@link LockException.Busy}. */
  public Future<LockHandle> tryAcquire(Request request) {
    return call(LockServiceGrpcClient.TryAcquire, request.proto(), CALL_TIMEOUT).map(r -> handle(request, r));
  }

  /** Renews by owner and token: what a coordinator does for an in-doubt transaction's locks. */
  public Future<RenewLockResponse> renew(String lock, String owner, long token, Duration lease) {
    return call(LockServiceGrpcClient.Renew, RenewLockRequest.newBuilder().setLock(lock).setOwner(owner)
        .setFencingToken(token).setLeaseMs(lease.toMillis()).build(), CALL_TIMEOUT);
  }

  /**
   * Renews as the holder of the grant: besides extending the lease, this lets a lock service that lost the lock (a
   * restart) re-create it during its start-up grace with this token, mode and hold count ({@code reasserted} in the
   * response). What {@link LockHandle}'s auto-renewal sends.
   */
  public Future<RenewLockResponse> renewAsHolder(String lock, String owner, long token, Duration lease, LockMode mode,
      int holdCount) {
    return call(LockServiceGrpcClient.Renew, RenewLockRequest.newBuilder().setLock(lock).setOwner(owner)
        .setFencingToken(token).setLeaseMs(lease.toMillis())
        .setReassertMode(mode == LockMode.LOCK_MODE_SHARED ? mode : LockMode.LOCK_MODE_EXCLUSIVE)
        .setReassertHoldCount(holdCount).build(), CALL_TIMEOUT);
  }

  /** Completes with the hold count left. */
  public Future<Integer> release(String lock, String owner, long token) {
    return call(LockServiceGrpcClient.Release, ReleaseLockRequest.newBuilder().setLock(lock).setOwner(owner)
        .setFencingToken(token).build(), CALL_TIMEOUT).map(r -> r.getHoldCount());
  }

  public Future<ReleaseAllLocksResponse> releaseAll(String owner) {
    return call(LockServiceGrpcClient.ReleaseAll, ReleaseAllLocksRequest.newBuilder().setOwner(owner).build(),
        CALL_TIMEOUT);
  }

  public Future<InspectLockResponse> inspect(String lock) {
    return call(LockServiceGrpcClient.Inspect, InspectLockRequest.newBuilder().setLock(lock).build(), CALL_TIMEOUT);
  }

  public LockHandle acquireBlocking(Request request) {
    return await(acquire(request));
  }

  public LockHandle tryAcquireBlocking(Request request) {
    return await(tryAcquire(request));
  }

  /** Blocks for the result; fails with the {@link LockException} of the call. Not on an event loop. */
  static <T> T await(Future<T> future) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("blocking lock call on an event loop: use the async API");
    }
    try {
      return future.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw LockException.from(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockException(io.vertx.grpc.common.GrpcStatus.CANCELLED, "interrupted", e);
    }
  }

  Vertx vertx() {
    return vertx;
  }

  private LockHandle handle(Request request, AcquireLockResponse granted) {
    return LockHandle.start(this, request, granted);
  }

  private <Req extends MessageLite, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req req,
      Duration timeout) {
    CallSessions calls = connections[Math.floorMod(next.getAndIncrement(), connections.length)];
    return calls.call(address, method, req, timeout).recover(e -> Future.failedFuture(LockException.from(e)));
  }

  @Override
  public void close() {
    for (CallSessions calls : connections) {
      calls.close();
    }
    if (ownsVertx) {
      vertx.close();
    }
  }
}
