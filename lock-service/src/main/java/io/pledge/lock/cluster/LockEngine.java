package io.pledge.lock.cluster;

import io.pledge.lock.cluster.LockFailure.Kind;
import io.pledge.lock.metrics.LockMetrics;
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.LockTable.Acquire;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock service's operations on top of a {@link LockStore}. An operation runs where it is called (a gRPC request's
 * context) and completes there: the store's processor is atomic per lock, so an acquire granted at once, a renew or a
 * release needs no shared state here. Only waits have bookkeeping, and it lives on one Vert.x context (the engine's),
 * which an acquire reaches only if it is queued. Nothing here blocks.
 *
 * <p>Waiting without polling: a waiter is queued in the lock's state by the acquire processor; the server learns of
 * its grant from the store's change notifications ({@link Waits}), which the store sends only for changes that concern
 * this server's waits, and wakes the lock itself only at the instant a lease ends or a lock-delay passes.
 */
public final class LockEngine {

  private static final Logger LOG = LoggerFactory.getLogger(LockEngine.class);

  private final Context context;
  private final LockStore store;
  private final LockMetrics metrics;
  private final Waits waits;
  private final OwnerIndex index;
  private final WaitIds ids = WaitIds.random();

  /** A started acquire: its wait id (to cancel it) and its outcome. */
  public record Pending(String waitId, Future<Holder> result) {}

  /** @param deadlockTimeout how long a wait lasts before it enters the wait-for graph (see {@link Waits}) */
  public LockEngine(Vertx vertx, Context context, LockStore store, LockMetrics metrics, Duration deadlockTimeout) {
    this.context = context;
    this.store = store;
    this.metrics = metrics;
    this.index = new OwnerIndex(store, metrics);
    this.waits = new Waits(vertx, store, metrics, deadlockTimeout, index);
    store.onChange(ids.prefix(), waits::onState);
    store.onMembershipChange(waits::recheckAll);
  }

  /**
   * Acquires {@code lock}. With {@code mayWait} false it never queues (TryAcquire). {@code onQueued} is told once if
   * the owner has to wait.
   */
  public Pending acquire(String lock, String owner, LockMode mode, long leaseMs, boolean mayWait, Duration wait,
      Consumer<Decision> onQueued) {
    return acquire(lock, owner, mode, leaseMs, mayWait, wait, onQueued, "");
  }

  /**
   * Like {@link #acquire(String, String, LockMode, long, boolean, Duration, Consumer)} by {@code identity} (the
   * caller's TLS identity, empty when none is known): the grant is bound to it, and an owner bound to another
   * identity is refused NOT_OWNER.
   */
  public Pending acquire(String lock, String owner, LockMode mode, long leaseMs, boolean mayWait, Duration wait,
      Consumer<Decision> onQueued, String identity) {
    String id = ids.next();
    long start = System.nanoTime();
    Waits.Wait w = mayWait ? waits.expect(id, lock, owner, start) : null;
    Future<Holder> result = store.apply(lock, new LockOp.Acquire(new Acquire(owner, mode, leaseMs, mayWait, id, identity)))
        .transform(ar -> {
          if (ar.failed()) {
            settleRefused(w);
            return Future.failedFuture(ar.cause());
          }
          Reply reply = ar.result();
          Decision d = reply.decision();
          countSideEffects(lock, reply);
          switch (d.code()) {
            case GRANTED, REENTERED, UPGRADED -> {
              if (w != null && !waits.grantedAtOnce(w)) {
                // The caller went away (AcquireStream cancelled) while the processor ran: nobody takes this grant.
                store.apply(lock, new LockOp.Release(owner, d.holder().token()))
                    .onSuccess(released -> index.follow(lock, owner, released, 0));
                return Future.failedFuture(new LockFailure(Kind.CANCELLED, "CANCELLED: the acquire was cancelled"));
              }
              metrics.granted(start);
              log(lock, owner, "granted", d);
              // Recorded before the caller hears of the grant, so that a ReleaseAll it calls afterwards finds it.
              return index.follow(lock, owner, reply, System.currentTimeMillis() + leaseMs)
                  .map(v -> d.holder());
            }
            case QUEUED -> {
              // Tracked first, whatever happens to the caller: the wait is in the lock's queue now and must end
              // exactly once (granted, timed out or withdrawn). Telling the caller may fail (a stream cancelled
              // meanwhile); that withdraws the wait through the tracking, it never skips it.
              Future<Holder> outcome = onContext(() -> waits.queued(w, reply.state(), d.blockedBy(), wait));
              // A wait is recorded until its deadline plus the lease its grant would get: a later grant needs no
              // write of its own (renewals extend it). The caller hears of a grant only once the record is written.
              Future<Void> recorded = index.follow(lock, owner, reply,
                  System.currentTimeMillis() + wait.toMillis() + leaseMs);
              try {
                onQueued.accept(d);
              } catch (RuntimeException e) {
                LOG.atDebug().addKeyValue("owner", owner).addKeyValue("lock", lock)
                    .log("could not tell the caller it is queued: {}", e.toString());
                cancel(id, "the caller could not be told it is queued (" + e.getMessage() + ")");
              }
              return outcome.compose(h -> recorded.map(v -> h));
            }
            default -> {
              settleRefused(w);
              metrics.refused();
              return Future.failedFuture(new LockFailure(d.code() == Decision.Code.BUSY ? Kind.BUSY
                  : d.code() == Decision.Code.NOT_OWNER ? Kind.NOT_OWNER : Kind.ALREADY_WAITING, d.message()));
            }
          }
        });
    return new Pending(id, result);
  }

  private void settleRefused(Waits.Wait w) {
    if (w != null) {
      waits.refused(w);
    }
  }

  /** Withdraws a wait whose caller went away; a grant that raced with it is released. */
  public void cancel(String waitId, String reason) {
    context.runOnContext(v -> waits.cancel(waitId, reason, true));
  }

  public Future<Holder> renew(String lock, String owner, long token, long leaseMs) {
    return renew(lock, owner, token, leaseMs, null).map(Renewed::holder);
  }

  /** A renewal's grant, and whether it re-created a lock the service had lost. */
  public record Renewed(Holder holder, boolean reasserted) {}

  /**
   * Renews; with a {@code reassertion} (from the holder itself), a lock the service lost is re-created during its
   * grace (see {@link io.pledge.lock.table.LockTable#renew(LockState, String, long, long,
   * io.pledge.lock.table.LockTable.Reassertion, long)}).
   */
  public Future<Renewed> renew(String lock, String owner, long token, long leaseMs,
      io.pledge.lock.table.LockTable.Reassertion reassertion) {
    return renew(lock, owner, token, leaseMs, reassertion, "");
  }

  /** Like {@link #renew(String, String, long, long, io.pledge.lock.table.LockTable.Reassertion)} by {@code caller}
   * (TLS identity; empty when none is known or an operator calls): NOT_OWNER for a grant of another identity. */
  public Future<Renewed> renew(String lock, String owner, long token, long leaseMs,
      io.pledge.lock.table.LockTable.Reassertion reassertion, String caller) {
    return store.apply(lock, new LockOp.Renew(owner, token, leaseMs, reassertion, caller)).compose(reply -> {
      countSideEffects(lock, reply);
      boolean reasserted = reply.decision().code() == Decision.Code.REASSERTED;
      if (reasserted) {
        LOG.atInfo().addKeyValue("owner", owner).addKeyValue("lock", lock).addKeyValue("token", token)
            .log("lock re-asserted by its holder during the grace");
      }
      // A renewed lease is recorded as the new end of the owner's entry (a re-asserted lock, after a restart lost
      // the index with the locks, is recorded anew).
      Future<Void> recorded = reply.decision().code().ok()
          ? index.follow(lock, owner, reply, System.currentTimeMillis() + leaseMs) : Future.succeededFuture();
      return recorded.compose(v -> outcome(lock, owner, reply)).map(h -> new Renewed(h, reasserted));
    });
  }

  /** Completes with the hold count left. */
  public Future<Integer> release(String lock, String owner, long token) {
    return release(lock, owner, token, "");
  }

  /** Like {@link #release(String, String, long)} by {@code caller}, checked as {@link #renew} checks it. */
  public Future<Integer> release(String lock, String owner, long token, String caller) {
    return store.apply(lock, new LockOp.Release(owner, token, caller)).compose(reply -> {
      countSideEffects(lock, reply);
      // Only when the owner left the lock (a reentrant release with holds left, or an upgrade still queued, stays).
      Future<Void> forgotten = reply.decision().code().ok() && reply.ownerUntil() == 0
          ? index.follow(lock, owner, reply, 0) : Future.succeededFuture();
      return forgotten.compose(v -> outcome(lock, owner, reply)).map(h -> {
        metrics.released(1);
        log(lock, owner, "released", reply.decision());
        return h == null ? 0 : h.count();
      });
    });
  }

  /** What ReleaseAll did. */
  public record Released(List<String> locks, int cancelledWaits) {}

  /**
   * Releases everything the owner holds and withdraws its waits. Idempotent. Finds the locks through the owner index
   * (a lookup; see {@link OwnerIndex} for what it may miss, which is then left to its lease). A lock the owner
   * acquires while this runs may be missed: call it when the owner has stopped acquiring (a transaction's END).
   */
  public Future<Released> releaseAll(String owner) {
    return store.locksOf(owner).compose(names -> {
      List<String> locks = List.copyOf(names);
      metrics.releaseAllScanned(locks.size());
      List<Future<Reply>> calls = new ArrayList<>();
      for (String name : locks) {
        calls.add(store.apply(name, new LockOp.ReleaseAll(owner)));
      }
      return Future.all(calls).compose(all -> {
        List<String> released = new ArrayList<>();
        Map<String, Long> left = new HashMap<>();
        int cancelled = 0;
        for (int i = 0; i < calls.size(); i++) {
          Reply r = calls.get(i).result();
          countSideEffects(locks.get(i), r);
          if (r.decision().holder() != null) {
            released.add(locks.get(i));
          }
          if (r.version() >= 0) {
            left.put(locks.get(i), r.version()); // a grant or wait recorded after this release stays
          }
          cancelled += r.decision().position();
        }
        Released done = new Released(released, cancelled);
        return index.released(owner, left).map(v -> done);
      }).map(done -> {
        metrics.released(done.locks().size());
        // Once per finished transaction when the coordinator releases at END: debug, like every grant and release.
        LOG.atDebug().addKeyValue("owner", owner).addKeyValue("released", done.locks().size())
            .addKeyValue("cancelledWaits", done.cancelledWaits()).log("released all");
        return done;
      });
    });
  }

  /** The lock's current state (expired leases ended first). */
  public Future<LockState> inspect(String lock) {
    return store.apply(lock, new LockOp.Tick()).map(reply -> {
      countSideEffects(lock, reply);
      return reply.state();
    });
  }

  /** A page of held or awaited locks in name order, as stored (see {@link LockStore#list}). */
  public Future<List<LockState>> list(String prefix, String after, int limit) {
    return onContext(() -> store.list(prefix, after, limit));
  }

  private Future<Holder> outcome(String lock, String owner, Reply reply) {
    Decision d = reply.decision();
    if (d.code().ok()) {
      return Future.succeededFuture(d.holder());
    }
    metrics.refused();
    LOG.atInfo().addKeyValue("owner", owner).addKeyValue("lock", lock).addKeyValue("code", d.code())
        .log("refused: {}", d.message());
    Kind kind = d.code() == Decision.Code.NOT_HELD ? Kind.NOT_HELD
        : d.code() == Decision.Code.NOT_OWNER ? Kind.NOT_OWNER : Kind.TOKEN_MISMATCH;
    return Future.failedFuture(new LockFailure(kind, d.message()));
  }

  private void countSideEffects(String lock, Reply reply) {
    metrics.expired(reply.decision().expired().size());
    for (Holder h : reply.decision().expired()) {
      LOG.atInfo().addKeyValue("owner", h.owner()).addKeyValue("lock", lock).addKeyValue("token", h.token())
          .log("lease expired");
    }
  }

  private static void log(String lock, String owner, String what, Decision d) {
    LOG.atDebug().addKeyValue("owner", owner).addKeyValue("lock", lock).addKeyValue("code", d.code())
        .addKeyValue("token", d.holder() == null ? 0 : d.holder().token()).log(what);
  }

  private <T> Future<T> onContext(Supplier<Future<T>> body) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        body.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }
}
