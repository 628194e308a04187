package io.pledge.coordinator.protocol;

import io.pledge.common.tls.Authorization;
import io.pledge.common.tls.Ownership;
import io.pledge.common.tls.Principal;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.metrics.CoordinatorMetrics;
import io.pledge.coordinator.protocol.CoordinatorException.Code;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Effect;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.Result;
import io.pledge.coordinator.state.Transaction;
import io.pledge.coordinator.state.TxEvent;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.TxState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's protocol engine: owns every in-memory {@link Transaction}, feeds them events, and hands their
 * effects to an {@link EffectRunner}. Everything runs on one Vert.x context (its event loop): public methods must
 * be called there, and every asynchronous answer (log, participants, timers) is brought back there before it
 * touches a transaction. Nothing here blocks.
 */
public final class TransactionManager {

  private static final Logger LOG = LoggerFactory.getLogger(TransactionManager.class);

  /** A transaction with what the engine keeps beside its state machine. */
  static final class Entry {
    final Transaction tx;
    final List<Promise<Decision>> waiters = new ArrayList<>(1);
    long commitRequestedNanos = -1;
    long prepareTimer = -1;
    /** Set by the effect runner when an operator's resolution forced the END: completes once it is durable. */
    Future<Void> endLogged;
    /** Who began it, for {@link Limits#openPerCaller()}; null for one recovered from the log. */
    String caller;
    /**
     * A replicated log only: the abort decision is being replicated; until it is, nobody is told (see
     * {@link TxLog#forceAbort}).
     */
    Promise<Void> abortReplicated;

    Entry(Transaction tx) {
      this.tx = tx;
    }
  }

  private record Deadline(long atMillis, TxId id) {}

  private record FinishedAt(long atMillis, TxId id) {}

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final TxLog log;
  private final ProtocolSettings settings;
  private final CoordinatorMetrics metrics;
  private final LongSupplier clock;
  private final EffectRunner effects;
  private final NavigableMap<TxId, Entry> txs = new TreeMap<>();
  private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>((a, b) -> Long.compare(a.atMillis, b.atMillis));
  private final ArrayDeque<FinishedAt> finished = new ArrayDeque<>();
  private final TxLookup lookup;
  private final Limits limits;
  private final Map<String, Integer> openByCaller = new java.util.HashMap<>();
  private final IdBlocks blocks;
  private long epoch;
  /** The epoch given from outside (several managers share one); 0: {@link #start} takes one from the log. */
  private final long givenEpoch;
  /** The sequences this manager issues: all of them alone, or its slots among several ({@link SequenceSpace}). */
  private final SequenceSpace sequences;
  private long reaperTimer = -1;
  private volatile boolean ready;
  private boolean stopped;
  private Thread ownerThread;

  public TransactionManager(Vertx vertx, Context context, String nodeId, TxLog log, ParticipantChannel channel,
      ProtocolSettings settings, CoordinatorMetrics metrics, LongSupplier clock) {
    this(vertx, context, nodeId, log, channel, settings, Limits.DEFAULT, metrics, clock);
  }

  public TransactionManager(Vertx vertx, Context context, String nodeId, TxLog log, ParticipantChannel channel,
      ProtocolSettings settings, Limits limits, CoordinatorMetrics metrics, LongSupplier clock) {
    this(vertx, context, nodeId, log, channel, settings, limits, metrics, clock, 0, SequenceSpace.single());
  }

  /**
   * One of several managers ({@link TransactionManagers}): {@code epoch} was taken from the log once for all of
   * them, and this one issues, recovers and answers for the sequences of {@code sequences} only.
   */
  public TransactionManager(Vertx vertx, Context context, String nodeId, TxLog log, ParticipantChannel channel,
      ProtocolSettings settings, Limits limits, CoordinatorMetrics metrics, LongSupplier clock, long epoch,
      SequenceSpace sequences) {
    if (!TxId.isValidNode(nodeId)) {
      throw new IllegalArgumentException("invalid node id '" + nodeId + "'");
    }
    this.vertx = vertx;
    this.context = context;
    this.nodeId = nodeId;
    this.log = log;
    this.settings = settings;
    this.limits = limits;
    this.metrics = metrics;
    this.clock = clock;
    this.givenEpoch = epoch;
    this.sequences = sequences;
    this.effects = new EffectRunner(vertx, context, log, channel, settings, metrics, this);
    this.lookup = new TxLookup(nodeId, log, context);
    this.blocks = new IdBlocks(MAX_ID_BLOCKS, MAX_ID_BLOCKS_PER_CALLER, settings.finishedInMemory().toMillis());
  }

  /** Blocks of reserved transaction ids held at most (a block is a bit per id: 4096 blocks are about 0.6 MB). */
  static final int MAX_ID_BLOCKS = 4096;
  /**
   * Unexpired blocks with ids left one caller (a remote host) may hold: a client needs one in use and one ahead, and a
   * host may run many clients.
   */
  static final int MAX_ID_BLOCKS_PER_CALLER = 64;

  /**
   * Takes a new epoch, finishes what the log left unfinished (COMMIT without END: phase 2 again; an intent without
   * decision: abort, or a one-phase commit driven again), then turns ready. Call once, on the context.
   */
  public Future<Void> start() {
    ownerThread = Thread.currentThread();
    assertOnContext();
    return (givenEpoch > 0 ? Future.succeededFuture(givenEpoch) : onContext(log.nextEpoch())).compose(e -> {
      epoch = e;
      return onContext(log.purgedThroughEpoch());
    }).compose(purged -> {
      lookup.purgedThroughEpoch(purged);
      return onContext(log.unfinished());
    }).map(logged -> logged.stream().filter(t -> sequences.owns(t.id().sequence())).toList()).map(unfinished -> {
      if (stopped) {
        return null;
      }
      unfinished.forEach(this::recover);
      reaperTimer = vertx.setPeriodic(200, id -> reap());
      ready = true;
      LOG.atInfo().addKeyValue("node", nodeId).addKeyValue("epoch", epoch)
          .addKeyValue("recovered", unfinished.size()).log("coordinator ready");
      return null;
    });
  }

  /** Called on the context with each transaction that finished (every participant acknowledged). */
  public void onFinished(java.util.function.Consumer<TxId> hook) {
    effects.onFinished(hook);
  }

  public boolean isReady() {
    return ready;
  }

  public long epoch() {
    return epoch;
  }

  /**
   * Stops answering and sending: pending retries and timers of this manager do nothing from now on. Clients still
   * waiting for a decision get UNAVAILABLE: a coordinator that lost its leadership cannot tell them, and a retry at
   * the new leader gets the real outcome.
   */
  public void stop() {
    ready = false;
    stopped = true;
    if (reaperTimer >= 0) {
      vertx.cancelTimer(reaperTimer);
    }
    CoordinatorException gone = new CoordinatorException(Code.UNAVAILABLE,
        "this coordinator stopped before the decision was known; ask the current leader (Commit again)");
    for (Entry entry : txs.values()) {
      entry.waiters.forEach(w -> w.tryFail(gone));
      entry.waiters.clear();
    }
  }

  // ---- client and participant requests ----

  public Future<TxView> begin(long timeoutMillis, Map<String, String> labels) {
    return begin(timeoutMillis, labels, "local");
  }

  /** Begins a transaction for {@code caller} (its remote host), within {@link Limits}. */
  public Future<TxView> begin(long timeoutMillis, Map<String, String> labels, String caller) {
    return begin(timeoutMillis, labels, caller, "");
  }

  /**
   * Like {@link #begin(long, Map, String)}; {@code owner} is the caller's identity (empty when none is known): from
   * then on only it, or an operator, may commit, roll back or read the transaction ({@link #commit(TxId, Set,
   * Optional)}).
   */
  public Future<TxView> begin(long timeoutMillis, Map<String, String> labels, String caller, String owner) {
    requireReady();
    CoordinatorException over = overLimits(caller, labels);
    if (over != null) {
      return Future.failedFuture(over);
    }
    if (timeoutMillis < 0 || timeoutMillis > settings.maxTxTimeout().toMillis()) {
      return fail(Code.INVALID_ARGUMENT, "timeout_ms " + timeoutMillis + " is out of range 0.."
          + settings.maxTxTimeout().toMillis() + " (0 takes the default of " + settings.defaultTxTimeout().toMillis()
          + " ms)");
    }
    long timeout = timeoutMillis == 0 ? settings.defaultTxTimeout().toMillis() : timeoutMillis;
    long now = clock.getAsLong();
    TxId id = new TxId(nodeId, epoch, sequences.next());
    Entry entry = open(id, now, now + timeout, labels, owner, caller);
    LOG.atDebug().addKeyValue("txId", id).addKeyValue("timeoutMs", timeout).log("begun");
    return Future.succeededFuture(TxView.of(entry.tx));
  }

  private Entry open(TxId id, long now, long deadline, Map<String, String> labels, String owner, String caller) {
    Entry entry = new Entry(new Transaction(id, now, deadline, labels, owner));
    entry.caller = caller;
    openByCaller.merge(caller, 1, Integer::sum);
    txs.put(id, entry);
    deadlines.add(new Deadline(deadline, id));
    metrics.begun();
    metrics.moved(null, TxState.ACTIVE);
    return entry;
  }

  /** The bound that opening one more transaction for {@code caller} would pass, or null. */
  private CoordinatorException overLimits(String caller, Map<String, String> labels) {
    int labelBytes = labelBytes(labels);
    if (labelBytes > limits.labelBytes()) {
      return new CoordinatorException(Code.RESOURCE_EXHAUSTED, "labels take " + labelBytes + " bytes, more than the"
          + " bound of " + limits.labelBytes() + " (setting limits.label-bytes)");
    }
    int open = txs.size() - finished.size();
    if (open >= limits.openTransactions()) {
      return new CoordinatorException(Code.RESOURCE_EXHAUSTED, "the coordinator holds " + open + " unfinished"
          + " transactions, the bound (setting limits.open-transactions); commit or roll back some, or try again"
          + " later");
    }
    int byCaller = openByCaller.getOrDefault(caller, 0);
    if (byCaller >= limits.openPerCaller()) {
      return new CoordinatorException(Code.RESOURCE_EXHAUSTED, "caller " + caller + " has " + byCaller
          + " unfinished transactions, the bound per caller (setting limits.open-transactions-per-caller); commit"
          + " or roll back some first");
    }
    return null;
  }

  /** A block of transaction ids for a client to begin transactions with, no call each. */
  public record IdBlock(String prefix, long firstSequence, int count, long expiresAtMillis,
      long defaultTimeoutMillis) {}

  /**
   * Reserves {@code count} ids for {@code owner} (see {@link IdBlocks}): each begins a transaction when a Commit,
   * Rollback or Enlist first names it, before the block expires. A block lives twice the default transaction
   * timeout: a client starts a transaction from it only while at least the transaction's timeout is left.
   */
  public Future<IdBlock> reserveIds(int count, String caller, String owner) {
    requireReady();
    if (count < 1 || count > IdBlocks.MAX_BLOCK) {
      return fail(Code.INVALID_ARGUMENT, "count " + count + " is out of range 1.." + IdBlocks.MAX_BLOCK);
    }
    long now = clock.getAsLong();
    String refusal = blocks.refusal(caller, now);
    if (refusal != null) {
      return fail(Code.RESOURCE_EXHAUSTED, refusal);
    }
    long lifetime = 2 * settings.defaultTxTimeout().toMillis();
    // One slot of this manager's sequence space: every id of the block routes back here.
    long first = sequences.reserve(count);
    IdBlocks.Block block = blocks.add(first, count, now + lifetime, owner, caller);
    LOG.atDebug().addKeyValue("first", first).addKeyValue("count", count).addKeyValue("caller", caller)
        .log("reserved transaction ids");
    return Future.succeededFuture(new IdBlock(nodeId + ":" + epoch + ":", first, count, block.expiresAtMillis(),
        settings.defaultTxTimeout().toMillis()));
  }

  /** Where an id not in memory stands with the blocks: only ids of this epoch can be in one. */
  private IdBlocks.State blockState(TxId id) {
    return id.node().equals(nodeId) && id.epoch() == epoch ? blocks.state(id.sequence(), clock.getAsLong())
        : IdBlocks.State.UNKNOWN;
  }

  /**
   * Begins the transaction of a free reserved id for the {@code call} naming it first: its owner is the block's,
   * its timeout the default from now (at most to the block's expiry). Fails, claiming nothing, when {@code by} may
   * not act for the block's owner or a bound would be passed.
   */
  private Future<Entry> claim(TxId id, Optional<Principal> by, String call, Map<String, String> labels) {
    IdBlocks.Block block = blocks.blockOf(id.sequence());
    CoordinatorException refused = refused(by, block.owner(), call, id);
    if (refused == null) {
      refused = overLimits(block.caller(), labels);
    }
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    long now = clock.getAsLong();
    blocks.claim(id.sequence(), now);
    // The client began it at most the default timeout before its deadline (it takes reserved ids for transactions
    // of the default timeout only), and before now: this deadline is never earlier than the client's.
    long deadline = Math.min(block.expiresAtMillis(), now + settings.defaultTxTimeout().toMillis());
    Entry entry = open(id, now, deadline, labels, block.owner(), block.caller());
    LOG.atDebug().addKeyValue("txId", id).addKeyValue("by", call).log("begun from a reserved id");
    return Future.succeededFuture(entry);
  }

  private static Decision expiredUnused(TxId id) {
    return new Decision(Outcome.ABORTED, AbortReason.of(AbortCause.TRANSACTION_TIMEOUT, "transaction id " + id
        + " was reserved and its block expired before anything named it (presumed abort)"));
  }

  /**
   * Enlists the participants a client reports (they answered its work calls with "pledge-enlisted" instead of
   * calling Enlist) into an ACTIVE transaction: all of them or, when one conflicts or passes the bound, none.
   */
  private CoordinatorException enlistReported(Entry entry, List<Participant> reported) {
    if (reported.isEmpty() || entry.tx.state() != TxState.ACTIVE) {
      // Not ACTIVE: a repeated Commit (they were enlisted by the first) or one the transaction no longer takes, whose
      // answer is its decision; a participant left out of it drops its unprepared branch at the deadline.
      return null;
    }
    Map<String, Participant> enlisted = new java.util.HashMap<>();
    entry.tx.participants().forEach(p -> enlisted.put(p.id(), p));
    int added = 0;
    for (Participant p : reported) {
      Participant there = enlisted.get(p.id());
      if (there == null) {
        added++;
        enlisted.put(p.id(), p);
      } else if (!there.endpoint().equals(p.endpoint())) {
        return new CoordinatorException(Code.FAILED_PRECONDITION, "participant " + p.id() + " is already enlisted"
            + " with endpoint " + there.endpoint() + ", not " + p.endpoint());
      }
    }
    if (entry.tx.participants().size() + added > limits.participantsPerTransaction()) {
      return new CoordinatorException(Code.RESOURCE_EXHAUSTED, "transaction " + entry.tx.id() + " would have "
          + (entry.tx.participants().size() + added) + " participants, more than the bound (setting"
          + " limits.participants-per-transaction)");
    }
    for (Participant p : reported) {
      apply(entry, new TxEvent.Enlist(p));
    }
    return null;
  }

  /** Whether an Enlist changed anything, and the transaction's deadline. */
  public record Enlisted(boolean alreadyEnlisted, long deadlineMillis) {}

  public Future<Enlisted> enlist(TxId id, Participant participant) {
    requireReady();
    Entry entry = txs.get(id);
    IdBlocks.State reserved = entry == null ? blockState(id) : IdBlocks.State.UNKNOWN;
    if (reserved == IdBlocks.State.FREE) {
      // A service that enlists by a call under a reserved id begins its transaction (its caller is a participant,
      // not the owner: Enlist's own check is the participant's identity).
      return claim(id, Optional.empty(), "Enlist", Map.of()).compose(claimed -> enlist(id, participant));
    }
    if (reserved == IdBlocks.State.EXPIRED) {
      return fail(Code.FAILED_PRECONDITION, "cannot enlist participant " + participant.id() + ": "
          + expiredUnused(id).reason().detail());
    }
    if (entry == null) {
      return lookup.find(id, issuedThrough(id), epoch).compose(view -> fail(Code.FAILED_PRECONDITION,
          "cannot enlist participant " + participant.id() + ": transaction " + id + " is " + view.state()));
    }
    List<Participant> enlisted = entry.tx.participants();
    if (enlisted.size() >= limits.participantsPerTransaction() && entry.tx.state() == TxState.ACTIVE
        && enlisted.stream().noneMatch(p -> p.id().equals(participant.id()))) {
      return fail(Code.RESOURCE_EXHAUSTED, "transaction " + id + " has " + enlisted.size() + " participants, the"
          + " bound (setting limits.participants-per-transaction)");
    }
    Result result = apply(entry, new TxEvent.Enlist(participant));
    if (result instanceof Result.Rejected r) {
      return fail(Code.FAILED_PRECONDITION, r.message());
    }
    if (result instanceof Result.Applied) {
      LOG.atDebug().addKeyValue("txId", id).addKeyValue("participant", participant.id()).log("enlisted");
    }
    return Future.succeededFuture(new Enlisted(result instanceof Result.Ignored, entry.tx.deadlineMillis()));
  }

  /** Runs two-phase commit; completes once the decision is durable. A repeated call gets the same decision. */
  public Future<Decision> commit(TxId id) {
    return commit(id, java.util.Set.of());
  }

  /**
   * Like {@link #commit(TxId)}; a participant of {@code expectedParticipants} that has not enlisted aborts the
   * transaction (cause PARTICIPANT_MISSING) instead of letting the others commit.
   */
  public Future<Decision> commit(TxId id, java.util.Set<String> expectedParticipants) {
    return commit(id, expectedParticipants, Optional.empty());
  }

  /**
   * Like {@link #commit(TxId, Set)}, asked by {@code by}: PERMISSION_DENIED, changing nothing, when it is neither
   * the transaction's owner nor an operator ({@link Ownership}).
   */
  public Future<Decision> commit(TxId id, java.util.Set<String> expectedParticipants, Optional<Principal> by) {
    return commit(id, expectedParticipants, List.of(), Map.of(), by);
  }

  /**
   * Like {@link #commit(TxId, Set, Optional)}, enlisting first the participants the client reports ({@code
   * reported}, see {@link #enlistReported}); the first Commit of a reserved id begins its transaction with {@code
   * labels}.
   */
  public Future<Decision> commit(TxId id, java.util.Set<String> expectedParticipants, List<Participant> reported,
      Map<String, String> labels, Optional<Principal> by) {
    requireReady();
    Entry entry = txs.get(id);
    if (entry == null) {
      IdBlocks.State state = blockState(id);
      if (state == IdBlocks.State.FREE) {
        return claim(id, by, "Commit", labels)
            .compose(claimed -> commit(id, expectedParticipants, reported, labels, by));
      }
      if (state == IdBlocks.State.EXPIRED) {
        return Future.succeededFuture(expiredUnused(id));
      }
    }
    CoordinatorException refused = entry == null ? null : refused(by, entry.tx.owner(), "Commit", id);
    if (refused == null && entry != null) {
      refused = enlistReported(entry, reported);
    }
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (entry == null) {
      return lookup.find(id, issuedThrough(id), epoch).compose(view -> owned(by, view, "Commit"))
          .compose(view -> switch (view.state()) {
            case COMMITTED, COMMITTING -> Future.succeededFuture(new Decision(Outcome.COMMITTED, null));
            case ROLLED_BACK, ROLLING_BACK ->
                Future.succeededFuture(new Decision(Outcome.ABORTED, view.abortReason()));
            default -> fail(Code.FAILED_PRECONDITION, "transaction " + id + " is " + view.state());
          });
    }
    Promise<Decision> waiter = Promise.promise();
    entry.waiters.add(waiter);
    if (entry.tx.state() == TxState.ACTIVE) {
      entry.commitRequestedNanos = System.nanoTime();
    }
    Result result = apply(entry, new TxEvent.CommitRequested(expectedParticipants));
    if (result instanceof Result.Rejected r) {
      entry.waiters.remove(waiter);
      return fail(Code.FAILED_PRECONDITION, r.message());
    }
    if (entry.tx.state().isDecided() && entry.abortReplicated == null && !waiter.future().isComplete()) {
      entry.waiters.remove(waiter);
      waiter.complete(new Decision(entry.tx.state().outcome(), entry.tx.abortReason()));
    }
    return waiter.future();
  }

  /** Aborts; completes with ABORTED at once (participants are told in the background). */
  public Future<Outcome> rollback(TxId id) {
    return rollback(id, Optional.empty());
  }

  /** Like {@link #rollback(TxId)}, asked by {@code by}: only the owner or an operator ({@link Ownership}). */
  public Future<Outcome> rollback(TxId id, Optional<Principal> by) {
    return rollback(id, List.of(), by);
  }

  /** Like {@link #rollback(TxId, Optional)}; the participants the client reports are told as the enlisted ones. */
  public Future<Outcome> rollback(TxId id, List<Participant> reported, Optional<Principal> by) {
    requireReady();
    Entry entry = txs.get(id);
    if (entry == null) {
      IdBlocks.State state = blockState(id);
      if (state == IdBlocks.State.FREE) {
        return claim(id, by, "Rollback", Map.of()).compose(claimed -> rollback(id, reported, by));
      }
      if (state == IdBlocks.State.EXPIRED) {
        return Future.succeededFuture(Outcome.ABORTED);
      }
    }
    CoordinatorException refused = entry == null ? null : refused(by, entry.tx.owner(), "Rollback", id);
    if (refused == null && entry != null) {
      refused = enlistReported(entry, reported);
    }
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (entry == null) {
      return lookup.find(id, issuedThrough(id), epoch).compose(view -> owned(by, view, "Rollback"))
          .compose(view -> view.state().outcome() == Outcome.ABORTED
              ? Future.succeededFuture(Outcome.ABORTED)
              : fail(Code.FAILED_PRECONDITION, "cannot roll back transaction " + id + ": it is " + view.state()));
    }
    Result result = apply(entry, new TxEvent.RollbackRequested());
    if (result instanceof Result.Rejected r) {
      return fail(Code.FAILED_PRECONDITION, r.message());
    }
    if (entry.abortReplicated != null) {
      return entry.abortReplicated.future().map(Outcome.ABORTED);
    }
    return Future.succeededFuture(Outcome.ABORTED);
  }

  /** For a participant in doubt: COMMITTED, ABORTED, or PENDING while undecided. Presumed abort when unknown. */
  public Future<Outcome> outcome(TxId id) {
    requireReady();
    Entry entry = txs.get(id);
    if (entry != null) {
      // An abort not yet replicated is not an outcome: a new leader might still commit.
      return Future.succeededFuture(entry.abortReplicated != null ? Outcome.PENDING : entry.tx.state().outcome());
    }
    switch (blockState(id)) {
      case FREE -> {
        // Reserved and not begun yet: its client may still commit it, as a Begun transaction while ACTIVE.
        return Future.succeededFuture(Outcome.PENDING);
      }
      case EXPIRED -> {
        return Future.succeededFuture(Outcome.ABORTED);
      }
      default -> { }
    }
    return lookup.outcome(id, issuedThrough(id), epoch);
  }

  public Future<TxView> get(TxId id) {
    return get(id, Optional.empty());
  }

  /** Like {@link #get(TxId)}, asked by {@code by}: only the owner or an operator ({@link Ownership}). */
  public Future<TxView> get(TxId id, Optional<Principal> by) {
    requireReady();
    Entry entry = txs.get(id);
    IdBlocks.State reserved = entry == null ? blockState(id) : IdBlocks.State.UNKNOWN;
    if (reserved != IdBlocks.State.UNKNOWN) {
      IdBlocks.Block block = blocks.blockOf(id.sequence());
      CoordinatorException refused = refused(by, block.owner(), "GetTransaction", id);
      if (refused != null) {
        return Future.failedFuture(refused);
      }
      if (reserved == IdBlocks.State.FREE) {
        // Begun at its client, not yet named here: ACTIVE with no participants, as GetOutcome says PENDING (reading
        // it claims nothing).
        return Future.succeededFuture(new TxView(id, TxState.ACTIVE, 0, block.expiresAtMillis(), Map.of(),
            List.of(), null, block.owner()));
      }
      return Future.succeededFuture(new TxView(id, TxState.ROLLED_BACK, 0, block.expiresAtMillis(), Map.of(),
          List.of(), expiredUnused(id).reason(), block.owner()));
    }
    return (entry != null ? Future.succeededFuture(TxView.of(entry.tx)) : lookup.find(id, issuedThrough(id), epoch))
        .compose(view -> owned(by, view, "GetTransaction"));
  }

  /** The view, or PERMISSION_DENIED when {@code by} may not act on it. */
  private static Future<TxView> owned(Optional<Principal> by, TxView view, String call) {
    CoordinatorException refused = refused(by, view.owner(), call, view.id());
    return refused == null ? Future.succeededFuture(view) : Future.failedFuture(refused);
  }

  /** Null when {@code by} may make {@code call} on a transaction of {@code owner}; else the refusal. */
  private static CoordinatorException refused(Optional<Principal> by, String owner, String call, TxId id) {
    Authorization.Decision d = Ownership.check(by, Optional.of(owner), call + " of transaction " + id,
        "only the identity that began it, or an operator, may commit, roll back or read a transaction");
    return d.allowed() ? null : new CoordinatorException(Code.PERMISSION_DENIED, d.message());
  }

  /** What an operator's resolution came to: the transaction afterwards and the participants it forgot. */
  public record Resolved(TxView view, List<String> forgotten) {}

  /**
   * Resolves a stuck transaction by hand (see {@link TxEvent.ResolutionRequested} and docs/protocol.md, "Operator
   * resolution"). Completes once the resolution is in effect; when it forgot participants, once its END is forced.
   * Refusals are FAILED_PRECONDITION with the reason, NOT_FOUND for a transaction never begun here.
   */
  public Future<Resolved> resolve(TxId id, Outcome outcome, String note) {
    requireReady();
    Entry entry = txs.get(id);
    if (entry == null) {
      return lookup.find(id, issuedThrough(id), epoch).compose(view -> fail(Code.FAILED_PRECONDITION,
          "transaction " + id + " is already " + view.state() + (view.state().isFinished() ? " (finished)" : "")
          + ": there is nothing to resolve"));
    }
    Result result = apply(entry, new TxEvent.ResolutionRequested(outcome, note));
    if (result instanceof Result.Rejected r) {
      LOG.atInfo().addKeyValue("txId", id).addKeyValue("resolution", outcome).log("operator resolution refused: "
          + r.message());
      return fail(Code.FAILED_PRECONDITION, r.message());
    }
    List<String> forgotten = entry.tx.participantViews().stream().filter(Transaction.ParticipantView::forgotten)
        .map(v -> v.participant().id()).toList();
    if (result instanceof Result.Applied) {
      metrics.operatorResolved(outcome);
      LOG.atWarn().addKeyValue("txId", id).addKeyValue("resolution", outcome).addKeyValue("state", entry.tx.state())
          .addKeyValue("forgotten", forgotten).addKeyValue("note", note).log("resolved by an operator");
    }
    Resolved resolved = new Resolved(TxView.of(entry.tx), forgotten);
    if (entry.endLogged == null) {
      return Future.succeededFuture(resolved);
    }
    return entry.endLogged.transform(ar -> ar.succeeded() ? Future.succeededFuture(resolved)
        : fail(Code.UNAVAILABLE, "transaction " + id + " ended here, but its resolution could not be forced to the"
            + " log (" + EffectRunner.message(ar.cause()) + "): after a restart it would be in phase 2 again"));
  }

  /** In-memory transactions after {@code after} (exclusive, null for the start), in id order. */
  public List<TxView> list(Set<TxState> states, TxId after, int limit) {
    requireReady();
    Collection<Entry> tail = after == null ? txs.values() : txs.tailMap(after, false).values();
    List<TxView> page = new ArrayList<>(Math.min(limit, 64));
    for (Entry e : tail) {
      if (states.isEmpty() || states.contains(e.tx.state())) {
        page.add(TxView.of(e.tx));
        if (page.size() == limit) {
          break;
        }
      }
    }
    return page;
  }

  /** Deletes ended transactions older than {@code retention} from the log. */
  public Future<Integer> purge(java.time.Duration retention) {
    assertOnContext();
    return onContext(log.purgeEndedBefore(clock.getAsLong() - retention.toMillis()))
        .compose(deleted -> onContext(log.purgedThroughEpoch()).map(epochPurged -> {
          lookup.purgedThroughEpoch(epochPurged);
          if (deleted > 0) {
            LOG.atInfo().addKeyValue("purged", deleted).log("purged finished transactions past the retention");
          }
          return deleted;
        }));
  }

  // ---- the engine ----

  /** Applies an event and runs its effects. Package-private: the effect runner feeds answers back through it. */
  Result apply(Entry entry, TxEvent event) {
    assertOnContext();
    if (stopped) {
      return new Result.Ignored("coordinator stopped");
    }
    TxState before = entry.tx.state();
    Result result = entry.tx.apply(event);
    if (result instanceof Result.Applied applied) {
      if (before != entry.tx.state()) {
        metrics.moved(before, entry.tx.state());
      }
      if (log.replicated() && entry.tx.isCommitRequested() && entry.abortReplicated == null
          && applied.effects().stream().anyMatch(e -> e instanceof Effect.Decided d && d.outcome() == Outcome.ABORTED)) {
        entry.abortReplicated = Promise.promise();
        replicateAbort(entry, applied.effects(), 0);
      } else {
        for (Effect effect : applied.effects()) {
          effects.run(entry, effect);
        }
      }
    } else if (result instanceof Result.Ignored ignored) {
      LOG.atDebug().addKeyValue("txId", entry.tx.id()).addKeyValue("event", event).log("ignored: " + ignored.why());
    }
    return result;
  }

  /**
   * A replicated log: an abort after commit was requested is told to nobody (client, participants) before its
   * record is committed by a majority, so that a deposed leader cannot roll back what a new leader, recovering the
   * transaction from its intent, commits. Retried while this manager runs; a stopped one leaves it to the next
   * leader.
   */
  private void replicateAbort(Entry entry, List<Effect> deferred, int attempt) {
    onContext(log.forceAbort(entry.tx.id(), entry.tx.abortReason())).onComplete(ar -> {
      if (stopped) {
        return;
      }
      if (ar.succeeded()) {
        Promise<Void> replicated = entry.abortReplicated;
        entry.abortReplicated = null;
        deferred.forEach(effect -> effects.run(entry, effect));
        replicated.complete();
        return;
      }
      LOG.atWarn().addKeyValue("txId", entry.tx.id()).addKeyValue("attempt", attempt)
          .log("replicating the abort decision failed; retrying: " + EffectRunner.message(ar.cause()));
      long delay = settings.retryDelayMillis(attempt + 1, java.util.concurrent.ThreadLocalRandom.current());
      vertx.setTimer(Math.max(1, delay), t -> {
        if (!stopped) {
          replicateAbort(entry, deferred, attempt + 1);
        }
      });
    });
  }

  /** Called by the effect runner when a transaction finished: it stays in memory for lookups, then leaves. */
  void finished(Entry entry) {
    finished.add(new FinishedAt(clock.getAsLong(), entry.tx.id()));
    if (entry.caller != null) {
      openByCaller.computeIfPresent(entry.caller, (c, n) -> n <= 1 ? null : n - 1);
      entry.caller = null;
    }
  }

  private static int labelBytes(Map<String, String> labels) {
    int bytes = 0;
    for (Map.Entry<String, String> label : labels.entrySet()) {
      bytes += label.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
          + label.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
    return bytes;
  }

  /** Recovery replays the log through the same transitions as live traffic; only the last step's effects run. */
  private void recover(LoggedTx logged) {
    Transaction tx = new Transaction(logged.id(), logged.info().begunAtMillis() > 0 ? logged.info().begunAtMillis()
        : logged.updatedAtMillis(), logged.deadlineMillis(), logged.info().labels(), logged.info().owner());
    Entry entry = new Entry(tx);
    txs.put(tx.id(), entry);
    metrics.moved(null, TxState.ACTIVE);
    List<TxEvent> history = new ArrayList<>();
    logged.participants().forEach(p -> history.add(new TxEvent.Enlist(p)));
    history.add(new TxEvent.CommitRequested());
    TxEvent last;
    if (logged.kind() == LoggedTx.Kind.COMMIT) {
      history.add(new TxEvent.IntentLogged());
      logged.participants().forEach(p -> history.add(new TxEvent.VoteReceived(p.id(), io.pledge.coordinator.state.Vote.YES, "")));
      last = new TxEvent.DecisionLogged();
    } else if (logged.onePhase()) {
      last = new TxEvent.IntentLogged();
    } else if (log.replicated()) {
      // A new leader: the old one may have been about to commit (every vote yes, its commit record unsent).
      // Prepare is idempotent at the participants, so it asks again and decides from the votes it gets.
      last = new TxEvent.IntentLogged();
    } else {
      history.add(new TxEvent.IntentLogged());
      last = new TxEvent.CoordinatorRestarted();
    }
    for (TxEvent event : history) {
      TxState before = tx.state();
      Result r = tx.apply(event);
      if (r instanceof Result.Rejected rejected) {
        throw new IllegalStateException("log replay of " + tx.id() + " rejected " + event + ": " + rejected.message());
      }
      if (before != tx.state()) {
        metrics.moved(before, tx.state());
      }
    }
    LOG.atInfo().addKeyValue("txId", tx.id()).addKeyValue("logged", logged.kind())
        .addKeyValue("participants", logged.participants().size()).log("recovering");
    apply(entry, last);
  }

  /** Aborts expired transactions and lets finished ones leave memory. */
  private void reap() {
    long now = clock.getAsLong();
    while (!deadlines.isEmpty() && deadlines.peek().atMillis() <= now) {
      Entry entry = txs.get(deadlines.poll().id());
      if (entry != null && entry.tx.state() == TxState.ACTIVE) {
        LOG.atInfo().addKeyValue("txId", entry.tx.id()).log("transaction timed out before commit; aborting");
        apply(entry, new TxEvent.TimedOut());
      }
    }
    blocks.prune(now);
    long horizon = now - settings.finishedInMemory().toMillis();
    while (!finished.isEmpty()
        && (finished.peek().atMillis() < horizon || finished.size() > settings.maxFinishedInMemory())) {
      txs.remove(finished.poll().id());
    }
  }

  void setPrepareTimer(Entry entry) {
    if (entry.prepareTimer < 0) {
      entry.prepareTimer = vertx.setTimer(settings.prepareTimeout().toMillis(),
          t -> apply(entry, new TxEvent.PrepareTimedOut()));
    }
  }

  void cancelPrepareTimer(Entry entry) {
    if (entry.prepareTimer >= 0) {
      vertx.cancelTimer(entry.prepareTimer);
      entry.prepareTimer = -1;
    }
  }

  boolean isStopped() {
    return stopped;
  }

  /** Brings a stage completed on another thread back to this context. */
  <T> Future<T> onContext(java.util.concurrent.CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, context);
  }

  /** For {@link TxLookup}'s "issued here" check: {@code id}'s own sequence when issued, else one below it. */
  private long issuedThrough(TxId id) {
    return sequences.issued(id.sequence()) ? id.sequence() : id.sequence() - 1;
  }

  private void requireReady() {
    assertOnContext();
    if (!ready) {
      throw new CoordinatorException(Code.UNAVAILABLE, "the coordinator is recovering its log; try again shortly");
    }
  }

  private void assertOnContext() {
    // Compare threads, not contexts: Vert.x runs each gRPC request on a duplicate of the server's context.
    Context current = Vertx.currentContext();
    if (current == null || !current.isEventLoopContext() || ownerThread != Thread.currentThread()) {
      throw new IllegalStateException("transaction manager used off its context, from " + Thread.currentThread());
    }
  }

  private static <T> Future<T> fail(Code code, String message) {
    return Future.failedFuture(new CoordinatorException(code, message));
  }
}
