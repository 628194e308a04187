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
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.OwnerLocks;
import io.pledge.lock.table.WaitEdge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock table in a Hazelcast {@link IMap} (one entry per lock, changed only through entry processors), the
 * wait-for graph in a second map (one entry per wait, with a TTL so that a crashed server's edges disappear), and the
 * owner index in a third (one entry per owner with locks, {@link OwnerLocks}, with the TTL of its last lease).
 * Blocking Hazelcast calls (queries) run on worker threads; results come back on the engine's context.
 */
public final class HazelcastLockStore implements LockStore {

  public static final String LOCKS_MAP = "pledge-locks";
  public static final String WAITS_MAP = "pledge-lock-waits";
  public static final String OWNERS_MAP = "pledge-lock-owners";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastLockStore.class);
  /** Runs a completion callback on the thread that completed the call (it only hands over to a Vert.x context). */
  private static final Executor DIRECT = Runnable::run;

  private final HazelcastInstance hazelcast;
  private final boolean member;
  private final Context context;
  private final IMap<String, LockState> locks;
  private final IMap<String, WaitEdge> waits;
  private final IMap<String, OwnerLocks> owners;
  private final SerializationService serialization;

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
    this.owners = hazelcast.getMap(OWNERS_MAP);
    this.serialization = ((SerializationServiceSupport) hazelcast).getSerializationService();
  }

  @Override
  public Future<Reply> apply(String lock, LockOp op) {
    LockProcessor processor = Processors.of(op);
    Context caller = Vertx.currentContext() == null ? context : Vertx.currentContext();
    if (locks instanceof MapProxyImpl<String, LockState> proxy) {
      processor.setHazelcastInstance(hazelcast);
      return this.<Reply>onCaller(caller, proxy.executeOnKeyInternal(lock, processor))
          .compose(HazelcastLockStore::decided);
    }
    // Client mode: Hazelcast's public future. Its callbacks run on Hazelcast's default async executor, where the
    // reply may be deserialized, and a Compact schema the client lacks is fetched with a blocking call: not on our
    // threads, nor on the client's own I/O threads.
    return Future.fromCompletionStage(locks.submitToKey(lock, processor), caller)
        .recover(failure -> Future.failedFuture(translate(failure))).compose(HazelcastLockStore::decided);
  }

  /** A member without authority answered "nothing done": that is a failure like a lost quorum. */
  private static Future<Reply> decided(Reply reply) {
    if (reply.decision().code() == Decision.Code.NO_AUTHORITY) {
      return Future.failedFuture(new LockFailure(LockFailure.Kind.UNAVAILABLE, reply.decision().message()));
    }
    return Future.succeededFuture(reply);
  }

  /**
   * Completes a member's entry-processor invocation on the caller's context. Not through {@code IMap.submitToKey}'s
   * future: that one (like every Hazelcast future given a plain {@code whenComplete}) runs callbacks on Hazelcast's
   * default async executor, the common ForkJoinPool, or a new thread per callback when that pool has a parallelism of
   * 1, as on any 2-core machine, where it cost two thread starts per lock operation. The invocation's own future takes
   * an executor: the callback runs where the response arrives and only hands over to the caller's context, which
   * deserializes the reply (members share their Compact schemas, so this never waits for one).
   */
  @SuppressWarnings("unchecked")
  private <T> Future<T> onCaller(Context caller, CompletableFuture<?> call) {
    Promise<T> promise = Promise.promise();
    call.whenCompleteAsync((value, failure) -> caller.runOnContext(v -> {
      if (failure != null) {
        promise.fail(translate(failure));
        return;
      }
      try {
        promise.complete((T) serialization.toObject(value));
      } catch (RuntimeException e) {
        promise.fail(translate(e));
      }
    }), DIRECT);
    return promise.future();
  }

  /** Runs an owner-index processor on the member owning the owner's entry; completes on the caller's context. */
  private <T> Future<T> onOwner(String owner, com.hazelcast.map.EntryProcessor<String, OwnerLocks, ?> processor) {
    Context caller = Vertx.currentContext() == null ? context : Vertx.currentContext();
    if (owners instanceof MapProxyImpl<String, OwnerLocks> proxy) {
      return onCaller(caller, proxy.executeOnKeyInternal(owner, processor));
    }
    @SuppressWarnings("unchecked")
    java.util.concurrent.CompletionStage<T> call = (java.util.concurrent.CompletionStage<T>) owners.submitToKey(owner,
        processor);
    return Future.fromCompletionStage(call, caller).recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<LockState> read(String lock) {
    return Future.fromCompletionStage(locks.getAsync(lock), context)
        .map(s -> s == null ? LockState.empty(lock) : s)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public Future<Set<String>> locksOf(String owner) {
    return this.<OwnerLocks>onOwner(owner, new OwnerIndexProcessors.Read())
        .map(o -> o == null ? Set.<String>of() : Set.copyOf(o.locks()));
  }

  @Override
  public Future<Void> markOwner(String owner, String lock, long version, long until) {
    return this.<Object>onOwner(owner, new OwnerIndexProcessors.Mark(lock, version, until)).mapEmpty();
  }

  @Override
  public Future<Void> unmarkOwner(String owner, Map<String, Long> versions) {
    return this.<Object>onOwner(owner, new OwnerIndexProcessors.Unmark(Map.copyOf(versions))).mapEmpty();
  }

  @Override
  public Future<List<LockState>> list(String prefix, String after, int limit) {
    return context.<List<LockState>>executeBlocking(() -> List.copyOf(locks.values(
        Predicates.pagingPredicate(new LockPage(prefix, after), new LockPage.ByName(), limit))), false)
        .recover(failure -> Future.failedFuture(translate(failure)));
  }

  @Override
  public void onChange(String waitIdPrefix, Consumer<LockState> listener) {
    Listener l = new Listener(state -> context.runOnContext(v -> listener.accept(state)));
    locks.addEntryListener(l, new ConcernsWaits(waitIdPrefix), true);
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
