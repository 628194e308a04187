package io.pledge.coordinator.protocol;

import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.protocol.CoordinatorException.Code;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.TxState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A coordinator's {@link TransactionManager}s, one per event loop, so that transactions use more than one core
 * (issue 16). Manager {@code i} runs on context {@code i} and owns the transactions whose sequence number falls in
 * its slots ({@link SequenceSpace}); a call naming a transaction is run on its manager's context ({@link #call}) and
 * answered back on the caller's, so no manager method ever runs off its context. A Begin goes to the manager of the
 * loop it arrived on ({@link #next}); calls naming no transaction go to all ({@link #list}, {@link #purge}).
 *
 * <p>All managers share the one {@link TxLog} (thread-safe; each brings its answers back to its own context) and one
 * epoch, taken once by {@link #start}; each recovers its share of {@link TxLog#unfinished()}, by the same routing.
 * With one manager everything runs on the caller's context as before, and ids are {@code node:epoch:1, 2, 3}.
 *
 * <p>Thread-safe: the list of managers is published once all of them are ready.
 */
public final class TransactionManagers {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TransactionManagers.class);

  /** Makes manager {@code index}, to run on {@code context}, with the shared epoch and its sequence space. */
  public interface Factory {
    TransactionManager create(int index, Context context, long epoch, SequenceSpace sequences);
  }

  private final List<Context> contexts;
  private final TxLog log;
  private final Factory factory;
  private final AtomicInteger nextBegin = new AtomicInteger();
  /** Empty until every manager recovered (then requests get UNAVAILABLE); never changes afterwards. */
  private volatile List<TransactionManager> managers = List.of();
  /** Every manager made so far, ready or not: what {@link #stop} stops. On the coordinator's context only. */
  private final List<TransactionManager> made = new ArrayList<>();
  private volatile boolean stopped;
  private volatile long epoch;

  private TransactionManagers(List<Context> contexts, TxLog log, Factory factory) {
    if (contexts.isEmpty()) {
      throw new IllegalArgumentException("at least one event loop");
    }
    this.contexts = List.copyOf(contexts);
    this.log = log;
    this.factory = factory;
  }

  /** Managers on {@code contexts} (event-loop contexts, see {@link #eventLoops}), made by {@code factory} at start. */
  public static TransactionManagers on(List<Context> contexts, TxLog log, Factory factory) {
    return new TransactionManagers(contexts, log, factory);
  }

  /**
   * {@code first} and {@code count - 1} more event-loop contexts, each on another event loop of {@code vertx}
   * (the loops after {@code first}'s, wrapping around): distinct threads. At most as many as {@code vertx} has
   * event loops (by default twice the cores): a manager per thread is the point.
   */
  public static List<Context> eventLoops(Vertx vertx, Context first, int count) {
    List<Context> contexts = new ArrayList<>(List.of(first));
    if (count <= 1) {
      return contexts;
    }
    VertxInternal internal = (VertxInternal) vertx;
    List<EventLoop> loops = new ArrayList<>();
    for (EventExecutor e : internal.nettyEventLoopGroup()) {
      loops.add((EventLoop) e);
    }
    if (count > loops.size()) {
      LOG.atWarn().addKeyValue("eventLoops", count).addKeyValue("vertxEventLoops", loops.size())
          .log("server.event-loops is more than Vert.x's event loops: one transaction manager per event loop");
      count = loops.size();
    }
    int start = Math.max(0, loops.indexOf(((ContextInternal) first).nettyEventLoop()));
    for (int i = 1; i < count; i++) {
      EventLoop loop = loops.get((start + i) % loops.size());
      contexts.add(internal.contextBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP).withEventLoop(loop)
          .build());
    }
    return contexts;
  }

  /** The number of event loops to use by default: the cores, at most 4. */
  public static int defaultCount() {
    return Math.min(Runtime.getRuntime().availableProcessors(), 4);
  }

  /**
   * {@code limits} for manager {@code i} of {@code n}: the bounds of all callers together (open transactions, per
   * caller) are shared out so that the shares add up to the setting, and a Begin that one manager refuses for them
   * is tried at the others ({@link #next}), so the coordinator as a whole holds what the settings say.
   */
  public static Limits share(Limits limits, int i, int n) {
    return n == 1 ? limits : new Limits(part(limits.openTransactions(), i, n), part(limits.openPerCaller(), i, n),
        limits.participantsPerTransaction(), limits.labelBytes());
  }

  /** {@code settings} for manager {@code i} of {@code n}: the finished transactions kept in memory are shared out. */
  public static ProtocolSettings share(ProtocolSettings s, int i, int n) {
    return n == 1 ? s : new ProtocolSettings(s.defaultTxTimeout(), s.maxTxTimeout(), s.prepareTimeout(),
        s.callTimeout(), s.retryBase(), s.retryCap(), s.finishedInMemory(), part(s.maxFinishedInMemory(), i, n));
  }

  /** Share {@code i} of {@code total} in {@code n}: the shares add up to {@code total}, none below 1. */
  static int part(int total, int i, int n) {
    return Math.max(1, total / n + (i < total % n ? 1 : 0));
  }

  /**
   * Takes one epoch from the log, makes every manager, and starts each on its context (recovery of its share of
   * the log). Completes, on the caller's context, once all are ready. Call once, on the coordinator's context;
   * {@link #stop} too.
   */
  public Future<Void> start() {
    Context caller = Vertx.currentContext();
    return Future.fromCompletionStage(log.nextEpoch(), caller).compose(e -> {
      if (stopped) {
        return Future.failedFuture(new CoordinatorException(Code.UNAVAILABLE, "stopped before it started"));
      }
      epoch = e;
      List<Future<TransactionManager>> started = new ArrayList<>();
      for (int i = 0; i < contexts.size(); i++) {
        TransactionManager m = factory.create(i, contexts.get(i), e, new SequenceSpace(i, contexts.size()));
        made.add(m);
        started.add(onContext(i, () -> m.start().map(m)));
      }
      return Future.all(started).map(all -> {
        if (!stopped) {
          List<TransactionManager> ready = new ArrayList<>();
          started.forEach(f -> ready.add(f.result()));
          managers = List.copyOf(ready);
        }
        return null;
      });
    });
  }

  /** Stops every manager, each on its context (see {@link TransactionManager#stop}); completes when all did. */
  public Future<Void> stop() {
    stopped = true;
    managers = List.of();
    List<Future<Void>> stops = new ArrayList<>();
    for (int i = 0; i < made.size(); i++) {
      TransactionManager m = made.get(i);
      stops.add(onContext(i, () -> {
        m.stop();
        return Future.succeededFuture();
      }));
    }
    return Future.join(stops).mapEmpty();
  }

  /** Whether every manager recovered and serves. */
  public boolean isReady() {
    List<TransactionManager> ms = managers;
    if (ms.isEmpty()) {
      return false;
    }
    for (TransactionManager m : ms) {
      if (!m.isReady()) {
        return false;
      }
    }
    return true;
  }

  /** The epoch all managers issue ids in; 0 before {@link #start} took it. */
  public long epoch() {
    return epoch;
  }

  public int size() {
    return contexts.size();
  }

  /** Runs {@code call} on the manager of transaction {@code id}, on its context; the answer comes back here. */
  public <T> Future<T> call(TxId id, Function<TransactionManager, Future<T>> call) {
    return call(SequenceSpace.owner(id.sequence(), contexts.size()), call);
  }

  /**
   * Runs {@code call} (a Begin: it names no transaction yet) on the manager of the event loop it is called on, else
   * (called elsewhere) on the next manager in turn. Every manager's loop serves the gRPC port and Vert.x hands the
   * connections to the loops in turn, so Begins spread over the managers as connections do, and a client that
   * begins and commits on one connection never crosses threads for either (measured: each crossing costs a wake-up
   * of the other loop, see docs/decisions.md, issue 16). A manager that refuses the Begin for a bound of open
   * transactions ({@link #share}) passes it on to the next, so that a Begin is refused only when every manager's
   * share is used up, as one manager would refuse it.
   */
  public <T> Future<T> next(Function<TransactionManager, Future<T>> call) {
    int here = onManagerLoop();
    return next(here >= 0 ? here : Math.floorMod(nextBegin.getAndIncrement(), contexts.size()), 0, call);
  }

  /**
   * Whether the calling thread is {@code context}'s event loop, whatever context the caller runs on: several
   * contexts share one loop, and work may run at once on any of them without queuing (LockReleaser asks too).
   */
  public static boolean onLoopOf(Context context) {
    return ((ContextInternal) context).nettyEventLoop().inEventLoop();
  }

  /** The index of the manager whose event loop runs the calling thread; -1 for none. */
  private int onManagerLoop() {
    for (int i = 0; i < contexts.size(); i++) {
      if (onLoopOf(contexts.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private <T> Future<T> next(int first, int tried, Function<TransactionManager, Future<T>> call) {
    int n = contexts.size();
    return call((first + tried) % n, call).recover(failure -> {
      if (n == 1 || !(failure instanceof CoordinatorException e && e.code() == Code.RESOURCE_EXHAUSTED
          && e.getMessage().contains(OPEN_TRANSACTIONS_SETTING))) {
        return Future.failedFuture(failure);
      }
      if (tried + 1 < n) {
        return next(first, tried + 1, call);
      }
      return Future.failedFuture(new CoordinatorException(Code.RESOURCE_EXHAUSTED, e.getMessage() + " (each of"
          + " this coordinator's " + n + " event loops holds a share of the bound, and every share is used up)"));
    });
  }

  /** What the refusals of {@link TransactionManager#begin} for open transactions name (both such bounds). */
  private static final String OPEN_TRANSACTIONS_SETTING = "(setting limits.open-transactions";

  /**
   * The in-memory transactions after {@code after} in id order, at most {@code limit}: each manager's page, merged.
   * Each manager's page holds its first {@code limit} after {@code after}, so the merged first {@code limit} are the
   * coordinator's.
   */
  public Future<List<TxView>> list(Set<TxState> states, TxId after, int limit) {
    List<Future<List<TxView>>> pages = new ArrayList<>();
    for (int i = 0; i < contexts.size(); i++) {
      pages.add(call(i, m -> Future.succeededFuture(m.list(states, after, limit))));
    }
    return Future.all(pages).map(all -> {
      List<TxView> merged = new ArrayList<>();
      pages.forEach(p -> merged.addAll(p.result()));
      merged.sort(Comparator.comparing(TxView::id));
      return merged.size() > limit ? List.copyOf(merged.subList(0, limit)) : merged;
    });
  }

  /**
   * Purges the log (see {@link TransactionManager#purge}) through every manager in turn: the first deletes, and each
   * learns the epoch purged through, which its lookups need.
   */
  public Future<Integer> purge(Duration retention) {
    Future<Integer> total = Future.succeededFuture(0);
    for (int i = 0; i < contexts.size(); i++) {
      int index = i;
      total = total.compose(sum -> call(index, m -> m.purge(retention)).map(n -> sum + n));
    }
    return total;
  }

  private <T> Future<T> call(int index, Function<TransactionManager, Future<T>> call) {
    List<TransactionManager> ms = managers;
    if (ms.isEmpty()) {
      return Future.failedFuture(new CoordinatorException(Code.UNAVAILABLE, stopped
          ? "this coordinator stopped; ask the current leader"
          : "the coordinator is recovering its log; try again shortly"));
    }
    TransactionManager m = ms.get(index);
    return onContext(index, () -> call.apply(m));
  }

  /**
   * Runs {@code action} on context {@code index}: at once when already on its thread (always so with one manager,
   * whose context serves the requests), else queued there, the result completing on the caller's context.
   */
  private <T> Future<T> onContext(int index, java.util.function.Supplier<Future<T>> action) {
    Context target = contexts.get(index);
    if (onLoopOf(target) && Vertx.currentContext() != null) {
      return invoke(action);
    }
    Context current = Vertx.currentContext();
    Promise<T> answer = current instanceof ContextInternal caller ? caller.promise() : Promise.promise();
    target.runOnContext(v -> invoke(action).onComplete(answer));
    return answer.future();
  }

  private static <T> Future<T> invoke(java.util.function.Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
