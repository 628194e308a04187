package io.pledge.lock.hazelcast;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.query.Predicates;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.pledge.lock.cluster.LockFailure;
import io.pledge.lock.cluster.LockStore;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.WaitEdge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock table in a Hazelcast {@link IMap} (one entry per lock, changed only through entry processors), and the
 * wait-for graph in a second map (one entry per wait, with a TTL so that a crashed server's edges disappear).
 * Blocking Hazelcast calls (queries) run on worker threads; results come back on the engine's context.
 */
public final class HazelcastLockStore implements LockStore {

  public static final String LOCKS_MAP = "pledge-locks";
  public static final String WAITS_MAP = "pledge-lock-waits";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastLockStore.class);

  private final HazelcastInstance hazelcast;
  private final boolean member;
  private final Context context;
  private final IMap<String, LockState> locks;
  private final IMap<String, WaitEdge> waits;

  /**
   * @param member true for an embedded member (it can count its own partitions), false for a client
   * @param context the engine's context: every callback runs there
   */
  public HazelcastLockStore(HazelcastInstance hazelcast, boolean member, Context context) {
    this.hazelcast = hazelcast;
    this.member = member;
    this.context = context;
    this.locks = hazelcast.getMap(LOCKS_MAP);
    this.waits = hazelcast.getMap(WAITS_MAP);
  }

  @Override
  public Future<Reply> apply(String lock, LockProcessor processor) {
    return Future.fromCompletionStage(locks.submitToKey(lock, processor), context)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<LockState> read(String lock) {
    return Future.fromCompletionStage(locks.getAsync(lock), context)
        .map(s -> s == null ? LockState.empty(lock) : s)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<Set<String>> locksOf(String owner) {
    return context.<Set<String>>executeBlocking(() -> Set.copyOf(locks.keySet(new HeldOrAwaitedBy(owner))), false)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<List<LockState>> list(String prefix, String after, int limit) {
    return context.<List<LockState>>executeBlocking(() -> List.copyOf(locks.values(
        Predicates.pagingPredicate(new LockPage(prefix, after), new LockPage.ByName(), limit))), false)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public void onChange(Consumer<LockState> listener) {
    Listener l = new Listener(state -> context.runOnContext(v -> listener.accept(state)));
    locks.addEntryListener(l, true);
  }

  @Override
  public void onMembershipChange(Runnable listener) {
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        context.runOnContext(v -> listener.run());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        context.runOnContext(v -> listener.run());
      }
    });
  }

  @Override
  public Future<Void> putEdge(WaitEdge edge, Duration ttl) {
    return Future.fromCompletionStage(waits.setAsync(edge.waitId(), edge, ttl.toMillis(), TimeUnit.MILLISECONDS),
        context).recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<Void> removeEdge(String waitId) {
    return Future.fromCompletionStage(waits.deleteAsync(waitId), context).<Void>mapEmpty()
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<Collection<WaitEdge>> edges() {
    return context.<Collection<WaitEdge>>executeBlocking(() -> List.copyOf(waits.values()), false)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public long[] localCounts() {
    if (!member) {
      return new long[] {-1, -1};
    }
    long holders = 0;
    long waiters = 0;
    for (LockState s : locks.getAll(locks.localKeySet()).values()) {
      holders += s.holders().size();
      waiters += s.waiters().size();
    }
    return new long[] {holders, waiters};
  }

  static LockFailure translate(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof LockFailure f) {
      return f;
    }
    if (t instanceof SplitBrainProtectionException) {
      return new LockFailure(LockFailure.Kind.UNAVAILABLE, "NO_QUORUM: this side of the lock cluster has too few"
          + " members (split-brain protection); grants and renewals are refused here", t);
    }
    if (t instanceof HazelcastInstanceNotActiveException) {
      return new LockFailure(LockFailure.Kind.UNAVAILABLE, "the lock cluster member is shutting down", t);
    }
    LOG.atWarn().setCause(t).log("lock cluster call failed");
    return new LockFailure(LockFailure.Kind.UNAVAILABLE, "lock cluster unavailable: " + t, t);
  }

  /** Hazelcast wants one object implementing each listener interface. */
  private record Listener(Consumer<LockState> sink)
      implements EntryAddedListener<String, LockState>, EntryUpdatedListener<String, LockState> {
    @Override
    public void entryAdded(com.hazelcast.core.EntryEvent<String, LockState> event) {
      sink.accept(event.getValue());
    }

    @Override
    public void entryUpdated(com.hazelcast.core.EntryEvent<String, LockState> event) {
      sink.accept(event.getValue());
    }
  }
}
