package io.pledge.lock.cluster;

import io.pledge.lock.cluster.LockFailure.Kind;
import io.pledge.lock.metrics.LockMetrics;
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.WaitEdge;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The acquire calls waiting on this server, and how they learn their fate: from lock states pushed by the store
 * (a grant carries the wait's id; a withdrawn wait leaves a cancellation with the reason), from a timer at the
 * wait's deadline, and from one timer per lock at the instant its next lease ends or its lock-delay passes.
 *
 * <p>Threading: an acquire that may wait is <em>expected</em> ({@link #expect}) from the caller's thread before its
 * processor is submitted, so that the engine context can keep any notification that overtakes the processor's reply.
 * Everything else runs on the engine's context only. A wait granted at once never reaches the engine context.
 *
 * <p>A notification may arrive before the acquire processor's reply says the wait is queued: it is kept and looked at
 * once the reply has come, so no grant is missed and none is seen twice (states carry a version).
 *
 * <p>A wait enters the cluster's wait-for graph, and is checked for a deadlock, only once it has lasted the deadlock
 * timeout (PostgreSQL's {@code deadlock_timeout}): most waits end sooner, and keeping every short wait's edge in the
 * graph cost a map write per waiter on every hand-over of a hot lock. A cycle is still found: each wait in it
 * writes its edge, then scans the graph, so whichever writes last sees the whole cycle.
 */
final class Waits {

  private static final Logger LOG = LoggerFactory.getLogger(Waits.class);
  private static final Duration EDGE_TTL_MARGIN = Duration.ofSeconds(5);
  private static final long TICK_RETRY_MS = 1000;

  private final Vertx vertx;
  private final LockStore store;
  private final LockMetrics metrics;
  private final DeadlockDetector detector;
  private final OwnerIndex index;
  private final long deadlockTimeoutMs;
  /** Expected waits whose acquire processor has not answered yet, by lock (immutable lists) and by id. */
  private final ConcurrentHashMap<String, List<Wait>> pendingByLock = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Wait> pendingById = new ConcurrentHashMap<>();
  /** Queued waits (engine context only). */
  private final Map<String, Map<String, Wait>> byLock = new HashMap<>();
  private final Map<String, Wait> byId = new HashMap<>();
  private final Map<String, long[]> wakeTimers = new HashMap<>();

  static final class Wait {
    private static final int PENDING = 0;
    private static final int GRANTED_AT_ONCE = 1;
    private static final int QUEUED = 2;
    private static final int CANCEL_REQUESTED = 3;

    final String id;
    final String lock;
    final String owner;
    final Promise<Holder> promise = Promise.promise();
    final long startNanos;
    /** PENDING until the acquire's reply: the caller and a cancel race for it. */
    private final AtomicInteger phase = new AtomicInteger(PENDING);
    // Engine context only:
    String cancelReason;
    long queuedVersion = -1;
    long seenVersion = -1;
    LockState early;
    long deadlineTimer = -1;
    long since;
    Duration timeout = Duration.ZERO;
    List<String> blockedBy = List.of();
    boolean cancelling;
    /** The wait's edge is in the wait-for graph (it has lasted the deadlock timeout); else the timer that puts it. */
    boolean inGraph;
    long graphTimer = -1;

    Wait(String id, String lock, String owner, long startNanos) {
      this.id = id;
      this.lock = lock;
      this.owner = owner;
      this.startNanos = startNanos;
    }
  }

  Waits(Vertx vertx, LockStore store, LockMetrics metrics, Duration deadlockTimeout, OwnerIndex index) {
    this.vertx = vertx;
    this.index = index;
    this.store = store;
    this.metrics = metrics;
    this.deadlockTimeoutMs = deadlockTimeout.toMillis();
    this.detector = new DeadlockDetector(store, metrics, this::onState);
  }

  /** Any thread: an acquire that may wait is about to be submitted. */
  Wait expect(String id, String lock, String owner, long startNanos) {
    Wait w = new Wait(id, lock, owner, startNanos);
    pendingById.put(id, w);
    pendingByLock.compute(lock, (k, list) -> {
      if (list == null) {
        return List.of(w);
      }
      List<Wait> out = new ArrayList<>(list);
      out.add(w);
      return List.copyOf(out);
    });
    metrics.waitStarted();
    return w;
  }

  /**
   * Any thread: the expected acquire was granted at once. Returns false if a cancel came first (the caller must then
   * release the grant: nobody is listening for it).
   */
  boolean grantedAtOnce(Wait w) {
    settle(w);
    return w.phase.compareAndSet(Wait.PENDING, Wait.GRANTED_AT_ONCE);
  }

  /** Any thread: the expected acquire was refused or failed. */
  void refused(Wait w) {
    settle(w);
  }

  private void settle(Wait w) {
    if (unpend(w)) {
      metrics.waitEnded();
    }
  }

  /** Takes an expected wait out of the pending maps; false if it was not (or no longer) there. */
  private boolean unpend(Wait w) {
    if (pendingById.remove(w.id) == null) {
      return false;
    }
    pendingByLock.computeIfPresent(w.lock, (k, list) -> {
      List<Wait> out = new ArrayList<>(list);
      out.remove(w);
      return out.isEmpty() ? null : List.copyOf(out);
    });
    return true;
  }

  /** Engine context: the acquire processor queued the wait at {@code state}. Completes with the grant. */
  Future<Holder> queued(Wait w, LockState state, List<String> blockedBy, Duration timeout) {
    unpend(w);
    w.phase.compareAndSet(Wait.PENDING, Wait.QUEUED);
    byLock.computeIfAbsent(w.lock, k -> new LinkedHashMap<>()).put(w.id, w);
    byId.put(w.id, w);
    w.queuedVersion = state.version();
    w.seenVersion = state.version();
    w.since = System.currentTimeMillis();
    w.timeout = timeout;
    w.deadlineTimer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> cancel(w.id, "TIMEOUT", false));
    LOG.atDebug().addKeyValue("owner", w.owner).addKeyValue("lock", w.lock).addKeyValue("blockedBy", blockedBy)
        .log("waiting");
    w.blockedBy = blockedBy;
    if (deadlockTimeoutMs <= 0) {
      enterGraph(w);
    } else {
      w.graphTimer = vertx.setTimer(deadlockTimeoutMs, t -> enterGraph(w));
    }
    LockState early = w.early;
    w.early = null;
    if (w.cancelReason != null) {
      cancel(w.id, w.cancelReason, true);
    } else if (early != null) {
      evaluate(w, early);
    }
    scheduleWake(early != null && early.version() > state.version() ? early : state);
    return w.promise.future();
  }

  void onState(LockState s) {
    List<Wait> pending = pendingByLock.get(s.name());
    if (pending != null) {
      for (Wait w : pending) {
        if (w.early == null || s.version() > w.early.version()) {
          w.early = s;
        }
      }
    }
    Map<String, Wait> ws = byLock.get(s.name());
    if (ws == null) {
      return;
    }
    for (Wait w : new ArrayList<>(ws.values())) {
      evaluate(w, s);
    }
    scheduleWake(s);
  }

  private void evaluate(Wait w, LockState s) {
    if (w.cancelling || s.version() < w.seenVersion || byId.get(w.id) != w) {
      return;
    }
    w.seenVersion = s.version();
    var granted = s.grantedBy(w.id);
    if (granted.isPresent()) {
      forget(w);
      metrics.granted(w.startNanos);
      LOG.atDebug().addKeyValue("owner", w.owner).addKeyValue("lock", w.lock)
          .addKeyValue("token", granted.get().token()).log("granted after wait");
      w.promise.tryComplete(granted.get());
      return;
    }
    var cancelled = s.cancellation(w.id);
    if (cancelled.isPresent()) {
      forget(w);
      String reason = cancelled.get().reason();
      boolean deadlock = reason.startsWith("DEADLOCK");
      if (deadlock) {
        metrics.deadlock();
      }
      LOG.atInfo().addKeyValue("owner", w.owner).addKeyValue("lock", w.lock).log("wait ended: {}", reason);
      w.promise.tryFail(new LockFailure(deadlock ? Kind.DEADLOCK : Kind.CANCELLED, reason));
      return;
    }
    if (s.waiter(w.id).isEmpty()) {
      forget(w);
      w.promise.tryFail(new LockFailure(Kind.CANCELLED, "CANCELLED: the wait for lock " + w.lock + " ended without"
          + " a grant that could be delivered (granted, then released or expired before this server saw it)"));
      return;
    }
    List<String> now = s.blockedBy(w.id);
    if (!now.equals(w.blockedBy)) {
      // In a FIFO hand-over the new holder was already ahead of us, so the blockers only shrink: such an edge
      // cannot close a new cycle, and rescanning the graph for every waiter on every hand-over would be quadratic.
      updateEdge(w, now, !w.blockedBy.containsAll(now));
    }
  }

  /**
   * Engine context: withdraws the wait. A grant that raced with the cancel is kept (timeout) or released (caller
   * gone). A wait whose acquire has not answered yet is cancelled once it has.
   */
  void cancel(String waitId, String reason, boolean releaseIfGranted) {
    Wait pending = pendingById.get(waitId);
    if (pending != null) {
      pending.cancelReason = reason; // read by queued(), on this context
      pending.phase.compareAndSet(Wait.PENDING, Wait.CANCEL_REQUESTED); // or grantedAtOnce() sees it
      return;
    }
    Wait w = byId.get(waitId);
    if (w == null || w.cancelling) {
      return;
    }
    w.cancelling = true;
    store.apply(w.lock, new LockOp.CancelWait(waitId, reason)).onComplete(ar -> {
      forget(w);
      if (ar.failed()) {
        w.promise.tryFail(ar.cause());
        return;
      }
      Decision d = ar.result().decision();
      metrics.expired(d.expired().size());
      forgetIfLeft(w, ar.result());
      if (d.code() == Decision.Code.GRANTED_BEFORE_CANCEL) {
        if (releaseIfGranted) {
          // The change reaches this server's other waits on the lock, if any, as any change does (onChange).
          store.apply(w.lock, new LockOp.Release(w.owner, d.holder().token()))
              .onSuccess(released -> forgetIfLeft(w, released));
          w.promise.tryFail(new LockFailure(Kind.CANCELLED, "CANCELLED: " + reason));
        } else {
          metrics.granted(w.startNanos);
          w.promise.tryComplete(d.holder());
        }
      } else if (reason.equals("TIMEOUT")) {
        w.promise.tryFail(new LockFailure(Kind.TIMEOUT, "lock " + w.lock + " was not granted to " + w.owner
            + " within " + w.timeout.toMillis() + " ms; the wait was withdrawn"));
      } else {
        w.promise.tryFail(new LockFailure(Kind.CANCELLED, "CANCELLED: " + reason));
      }
      onState(ar.result().state());
    });
  }

  /** The owner index forgets the lock if the wait's owner has left it (it may still hold it: an upgrade's wait). */
  private void forgetIfLeft(Wait w, io.pledge.lock.table.Reply reply) {
    if (reply.ownerUntil() == 0) {
      index.follow(w.lock, w.owner, reply, 0);
    }
  }

  private void forget(Wait w) {
    if (byId.remove(w.id) == null) {
      return;
    }
    metrics.waitEnded();
    Map<String, Wait> ws = byLock.get(w.lock);
    ws.remove(w.id);
    if (ws.isEmpty()) {
      byLock.remove(w.lock);
      long[] timer = wakeTimers.remove(w.lock);
      if (timer != null) {
        vertx.cancelTimer(timer[0]);
      }
    }
    if (w.deadlineTimer >= 0) {
      vertx.cancelTimer(w.deadlineTimer);
    }
    if (w.graphTimer >= 0) {
      vertx.cancelTimer(w.graphTimer);
    }
    if (w.inGraph) {
      store.removeEdge(w.id).onFailure(e -> LOG.atDebug().setCause(e).log("could not remove wait edge"));
    }
  }

  /** The wait has lasted the deadlock timeout: its edge goes into the graph, and the graph is searched from it. */
  private void enterGraph(Wait w) {
    w.graphTimer = -1;
    if (byId.get(w.id) != w || w.cancelling) {
      return;
    }
    w.inGraph = true;
    updateEdge(w, w.blockedBy, true);
  }

  /** After a membership change notifications may have been lost: look at every lock someone waits for here. */
  void recheckAll() {
    for (String lock : new ArrayList<>(byLock.keySet())) {
      tick(lock);
    }
  }

  private void scheduleWake(LockState s) {
    if (!byLock.containsKey(s.name())) {
      return;
    }
    long now = System.currentTimeMillis();
    long at = s.nextWakeAt(now);
    long[] current = wakeTimers.get(s.name());
    if (current != null && current[1] == at) {
      return;
    }
    if (current != null) {
      vertx.cancelTimer(current[0]);
      wakeTimers.remove(s.name());
    }
    if (at == Long.MAX_VALUE) {
      return;
    }
    // A few ms late on purpose: member clocks may trail ours slightly; an early tick would only be repeated.
    long delay = Math.max(10, at - now + 3);
    long id = vertx.setTimer(delay, t -> {
      wakeTimers.remove(s.name());
      tick(s.name());
    });
    wakeTimers.put(s.name(), new long[] {id, at});
  }

  private void tick(String lock) {
    store.apply(lock, new LockOp.Tick()).onSuccess(r -> {
      metrics.expired(r.decision().expired().size());
      onState(r.state());
    }).onFailure(e -> {
      LOG.atWarn().addKeyValue("lock", lock).log("could not wake lock, will retry: {}", e.getMessage());
      // No quorum or no authority here for now: the waits still need their lock woken once this member can decide.
      if (!wakeTimers.containsKey(lock)) {
        long id = vertx.setTimer(TICK_RETRY_MS, t -> {
          wakeTimers.remove(lock);
          if (byLock.containsKey(lock)) {
            tick(lock);
          }
        });
        wakeTimers.put(lock, new long[] {id, Long.MIN_VALUE});
      }
    });
  }

  private void updateEdge(Wait w, List<String> blockedBy, boolean detect) {
    w.blockedBy = blockedBy;
    if (!w.inGraph) {
      return; // enterGraph writes the latest blockers when the wait has lasted long enough
    }
    if (blockedBy.isEmpty()) {
      store.removeEdge(w.id);
      return;
    }
    WaitEdge edge = new WaitEdge(w.id, w.owner, w.lock, blockedBy, w.since);
    Duration ttl = w.timeout.plus(EDGE_TTL_MARGIN);
    if (detect) {
      detector.check(edge, ttl);
    } else {
      store.putEdge(edge, ttl).onFailure(e -> LOG.atDebug().setCause(e).log("could not update wait edge"));
    }
  }
}
