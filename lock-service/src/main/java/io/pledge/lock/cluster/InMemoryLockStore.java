package io.pledge.lock.cluster;

import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.LockTable.Step;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.WaitEdge;
import io.pledge.lock.table.Waiter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
        return new Reply(op.needsState(step.decision()) ? next : null, step.decision());
      }
      LockState written = next.departedSince(state);
      locks.put(lock, written);
      for (Listener l : listeners) {
        if (written.concernsWaits(l.waitIdPrefix())) {
          l.context().runOnContext(v -> l.sink().accept(written));
        }
      }
      return new Reply(op.needsState(step.decision()) ? written : null, step.decision());
    }, caller);
  }

  @Override
  public Future<LockState> read(String lock) {
    return onStore(() -> locks.getOrDefault(lock, LockState.empty(lock)), Vertx.currentContext());
  }

  @Override
  public Future<Set<String>> locksOf(String owner) {
    return onStore(() -> {
      Set<String> out = new HashSet<>();
      for (LockState s : locks.values()) {
        if (s.holders().stream().map(Holder::owner).anyMatch(owner::equals)
            || s.waiters().stream().map(Waiter::owner).anyMatch(owner::equals)) {
          out.add(s.name());
        }
      }
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
