package io.pledge.lock.client;

import io.pledge.api.v1.AcquireLockResponse;
import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A granted lock. {@link #close()} releases it (once); with auto-renewal a timer renews the lease at a third of its
 * length until then, as the holder, so that a lock service that restarted and lost the lock gets it re-asserted
 * (same token) during its start-up grace. Pass {@link #token()} with every request to the protected resource.
 */
public final class LockHandle implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LockHandle.class);

  private final LockClient client;
  private final LockClient.Request request;
  private final AcquireLockResponse grant;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Whether the holder has been told the lock is lost (renewals may be in flight together when calls are slow). */
  private final AtomicBoolean lost = new AtomicBoolean();
  private final AtomicLong leaseExpiresAt;
  private volatile long renewTimer = -1;

  private LockHandle(LockClient client, LockClient.Request request, AcquireLockResponse grant) {
    this.client = client;
    this.request = request;
    this.grant = grant;
    this.leaseExpiresAt = new AtomicLong(grant.getLeaseExpiresAtMs());
  }

  static LockHandle start(LockClient client, LockClient.Request request, AcquireLockResponse grant) {
    LockHandle h = new LockHandle(client, request, grant);
    if (request.autoRenew()) {
      long period = Math.max(1, request.lease().toMillis() / 3);
      h.renewTimer = client.vertx().setPeriodic(period, t -> h.renewOnce());
    }
    return h;
  }

  private void renewOnce() {
    if (closed.get()) {
      return;
    }
    // As the holder: if the service restarted and lost the lock, this re-asserts it during its start-up grace.
    client.renewAsHolder(grant.getLock(), grant.getOwner(), grant.getFencingToken(), request.lease(), grant.getMode(),
            grant.getHoldCount())
        .onSuccess(r -> {
          leaseExpiresAt.set(r.getLeaseExpiresAtMs());
          if (r.getReasserted()) {
            LOG.atInfo().addKeyValue("owner", grant.getOwner()).addKeyValue("lock", grant.getLock())
                .addKeyValue("token", grant.getFencingToken()).log("lock re-asserted after a lock service restart");
          }
        })
        .onFailure(e -> {
          LockException failure = LockException.from(e);
          if (failure instanceof LockException.Unavailable) {
            LOG.atWarn().addKeyValue("owner", grant.getOwner()).addKeyValue("lock", grant.getLock())
                .log("lease renewal failed, will retry: {}", failure.getMessage());
          }
          if (failure instanceof LockException.Unavailable && System.currentTimeMillis() < leaseExpiresAt.get()) {
            return; // transient: the next period tries again while the lease lasts
          }
          stopRenewing();
          if (!lost.compareAndSet(false, true)) {
            return; // another renewal in flight already failed and told the holder: once is enough
          }
          LOG.atWarn().addKeyValue("owner", grant.getOwner()).addKeyValue("lock", grant.getLock())
              .log("lock lost: {}", failure.getMessage());
          request.onRenewalFailure().accept(this, failure);
        });
  }

  public String lock() {
    return grant.getLock();
  }

  public String owner() {
    return grant.getOwner();
  }

  /** The fencing token: hand it to the resource with every write. */
  public long token() {
    return grant.getFencingToken();
  }

  public int holdCount() {
    return grant.getHoldCount();
  }

  /** Last known lease end (member wall clock, ms since the epoch). */
  public long leaseExpiresAtMs() {
    return leaseExpiresAt.get();
  }

  /** Releases once; later calls complete at once. */
  public Future<Integer> release() {
    if (!closed.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    stopRenewing();
    return client.release(grant.getLock(), grant.getOwner(), grant.getFencingToken());
  }

  /** Blocking release; a lock already gone (expired) is not an error here. */
  @Override
  public void close() {
    try {
      LockClient.await(release());
    } catch (LockException.NotHeld e) {
      LOG.atInfo().addKeyValue("owner", grant.getOwner()).addKeyValue("lock", grant.getLock())
          .log("lock was already gone at release: {}", e.getMessage());
    }
  }

  /**
   * Stops renewing without releasing: for a holder whose lock someone else releases (a transaction's locks are
   * released by its coordinator at END), or that lets the lease run out.
   */
  public void stopRenewing() {
    long t = renewTimer;
    if (t >= 0) {
      client.vertx().cancelTimer(t);
    }
  }
}
