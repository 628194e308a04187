package io.pledge.lock.cluster;

import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.OwnerLocks;
import io.pledge.lock.table.LockTable.Step;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.WaitEdge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The lock table of one process: every operation runs on the store's own context, one at a time (so each is atomic,
 * like an entry processor on its partition), with the store's clock, and its result reaches the caller on the caller's
 * context, after the change notifications it caused were queued to the listeners, as in the cluster. What the
 * engine and its waits are tested against without Hazelcast (seeded tests); it does not survive its process and has
 * no quorum, lock-delay or authority (one process cannot be split or paused away from itself).
 */
public final class InMemoryLockStore implements LockStore {

  private final Context store;
  private final LongSupplier clock;
  /** Written on the store context only; read anywhere (the gauge). */
  private final ConcurrentSkipListMap<String, LockState> locks = new ConcurrentSkipListMap<>();
  private final Map<String, WaitEdge> edges = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  /** The owner index (store context only). */
  private final Map<String, OwnerLocks> owners = new HashMap<>();
  private static final int SWEEP_EVERY = 1024;
  private long marks;

  private record Listener(String waitIdPrefix, Context context, Consumer<LockState> sink) {}

  /**
   * @param vertx where the store gets its own context
   * @param clock wall-clock millis, as a member's clock (leases end by it)
   */
  public InMemoryLockStore(Vertx vertx, LongSupplier clock) {
    this.store = vertx.getOrCreateContext();
    this.clock = clock;
  }

  @Override
  public Future<Reply> apply(String lock, LockOp op) {
    Context caller = Vertx.currentContext();
    return onStore(() -> {
      LockState current = locks.get(lock);
      LockState state = current == null ? LockState.empty(lock) : current;
      Step step = op.apply(state, clock.getAsLong());
      LockState next = step.state();
      if (current != null && next.version() == current.version() || current == null && next.isIdle()
          && next.lastToken() == 0) {
        return Reply.of(op, state, next, step.decision());
      }
      LockState written = next.departedSince(state);
      locks.put(lock, written);
      for (Listener l : listeners) {
        if (written.concernsWaits(l.waitIdPrefix())) {
          l.context().runOnContext(v -> l.sink().accept(written));
        }
      }
      return Reply.of(op, state, written, step.decision());
    }, caller);
  }

  @Override
  public Future<LockState> read(String lock) {
    return onStore(() -> locks.getOrDefault(lock, LockState.empty(lock)), Vertx.currentContext());
  }

  @Override
  public Future<Set<String>> locksOf(String owner) {
    return onStore(() -> {
      OwnerLocks o = owners.get(owner);
      return o == null ? Set.<String>of() : Set.copyOf(o.live(clock.getAsLong()).locks());
    }, Vertx.currentContext());
  }

  @Override
  public Future<Void> markOwner(String owner, String lock, long version, long until) {
    return onStore(() -> {
      long now = clock.getAsLong();
      if (until > now) {
        owners.put(owner, owners.getOrDefault(owner, OwnerLocks.EMPTY).live(now).mark(lock, version, until));
      }
      if (++marks % SWEEP_EVERY == 0) {
        // No time to live here: drop what has passed now and then, as expiry does in the cluster.
        owners.replaceAll((k, v) -> v.live(now));
        owners.values().removeIf(OwnerLocks::isEmpty);
      }
      return null;
    }, Vertx.currentContext());
  }

  @Override
  public Future<Void> unmarkOwner(String owner, Map<String, Long> versions) {
    return onStore(() -> {
      owners.computeIfPresent(owner, (k, v) -> {
        OwnerLocks next = v.live(clock.getAsLong()).unmark(versions);
        return next.isEmpty() ? null : next;
      });
      return null;
    }, Vertx.currentContext());
  }

  /** Owners with an entry in the owner index (tests). */
  public Future<Set<String>> indexedOwners() {
    return onStore(() -> {
      long now = clock.getAsLong();
      Set<String> out = new HashSet<>();
      owners.forEach((k, v) -> {
        if (!v.live(now).isEmpty()) {
          out.add(k);
        }
      });
      return Set.copyOf(out);
    }, Vertx.currentContext());
  }

  @Override
  public Future<List<LockState>> list(String prefix, String after, int limit) {
    return onStore(() -> {
      List<LockState> out = new ArrayList<>();
      for (LockState s : (after.isEmpty() ? locks : locks.tailMap(after, false)).values()) {
        if (out.size() == limit) {
          break;
        }
        if (s.name().startsWith(prefix) && !s.isIdle()) {
          out.add(s);
        }
      }
      return List.copyOf(out);
    }, Vertx.currentContext());
  }

  @Override
  public void onChange(String waitIdPrefix, Consumer<LockState> listener) {
    Context context = Vertx.currentContext() == null ? store : Vertx.currentContext();
    listeners.add(new Listener(waitIdPrefix, context, listener));
  }

  @Override
  public void onMembershipChange(Runnable listener) {
    // One process: its membership never changes.
  }

  @Override
  public Future<Void> putEdge(WaitEdge edge, Duration ttl) {
    edges.put(edge.waitId(), edge); // the TTL covers crashed servers, which one process does not have
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> removeEdge(String waitId) {
    edges.remove(waitId);
    return Future.succeededFuture();
  }

  @Override
  public Future<Collection<WaitEdge>> edges() {
    return Future.succeededFuture(List.copyOf(edges.values()));
  }

  @Override
  public long[] localCounts() {
    // A weakly consistent view, as a gauge needs.
    long[] counts = new long[2];
    for (LockState s : List.copyOf(locks.values())) {
      counts[0] += s.holders().size();
      counts[1] += s.waiters().size();
    }
    return counts;
  }

  private <T> Future<T> onStore(java.util.function.Supplier<T> body, Context caller) {
    Promise<T> promise = Promise.promise();
    store.runOnContext(v -> {
      T result;
      try {
        result = body.get();
      } catch (RuntimeException e) {
        complete(caller, () -> promise.fail(e));
        return;
      }
      complete(caller, () -> promise.complete(result));
    });
    return promise.future();
  }

  private static void complete(Context caller, Runnable completion) {
    if (caller == null) {
      completion.run();
    } else {
      caller.runOnContext(v -> completion.run());
    }
  }
}
