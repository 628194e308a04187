package io.pledge.participant.endpoint.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pledge.participant.barrier.Action;
import io.pledge.participant.barrier.Barrier;
import io.pledge.participant.barrier.BranchCall;
import io.pledge.participant.barrier.BranchState;
import io.pledge.participant.log.BranchLog;
import io.pledge.participant.log.BranchRecord;
import io.pledge.participant.spi.LeaseCheck;
import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives each branch through the {@link Barrier}: loads its state (memory, else the log), asks the barrier what a
 * call means in that state, runs the resource and the log, and moves the state.
 *
 * <p>Threading: every branch lives on one Vert.x context (the engine's); public methods hop onto it and back to the
 * caller's. Calls for the same branch run one after another (a per-branch future chain), calls for different
 * branches interleave freely. Nothing here blocks.
 */
public final class BranchEngine {

  private static final Logger LOG = LoggerFactory.getLogger(BranchEngine.class);

  /** Signals a call that contradicts the branch's state (the gRPC edge maps it to FAILED_PRECONDITION). */
  public static final class RejectedCall extends RuntimeException {
    RejectedCall(String message) {
      super(message);
    }
  }

  /** Signals a participant id this endpoint does not serve. */
  public static final class UnknownParticipant extends RuntimeException {
    UnknownParticipant(String participantId) {
      super("no participant '" + participantId + "' at this endpoint");
    }
  }

  /**
   * What the enlistment needs from the outside: one idempotent call to the coordinator, answering the
   * transaction's deadline (epoch milliseconds; 0 when the coordinator did not say).
   */
  @FunctionalInterface
  public interface Enlistment {
    Future<Long> enlist(String txId, String participantId);
  }

  /**
   * Told about a branch that has heard nothing for the silence timeout while ACTIVE or PREPARED: the coordinator
   * may have restarted and presumed the transaction aborted without telling anyone, so someone must ask it. Called
   * on the engine's context, again after each further silence timeout while the branch stays open.
   */
  @FunctionalInterface
  public interface Silence {
    void silent(String txId, String participantId, BranchState state);
  }

  /** Slack past the transaction's deadline before an unprepared branch is dropped (commit may be just in time). */
  static final java.time.Duration DEADLINE_GRACE = java.time.Duration.ofSeconds(1);

  private record Key(String txId, String participantId) {}

  /** A branch in memory while it is in use; dropped when idle and final (the log remembers what matters). */
  private static final class Entry {
    BranchState state;
    long expiryTimer = -1;
    /** When a call for this branch last arrived (nanoTime): silence is measured from it. */
    long lastHeard = System.nanoTime();
    Future<?> tail = Future.succeededFuture();
    int pending;
  }

  private final Context context;
  private final java.time.Duration activeTimeout;
  private final Map<String, ResourceManager> resources;
  private final BranchLog log;
  private final LeaseCheck leases;
  private final Enlistment enlistment;
  private final Map<Key, Entry> live = new HashMap<>();
  private final Timer prepareTimer;
  private final Counter votesNo;
  private final Silence silence;
  private final java.time.Duration silenceTimeout;
  private final long silenceTimer;
  /** Participants whose resource's prepare is its own durable record: no forced PREPARED record of ours. */
  private final java.util.Set<String> durablePrepare;
  /**
   * Open once start-up recovery has adopted the prepared branches those resources hold ({@link #recoveryDone}):
   * until then a call for such a participant waits before it reads a branch's state, because "no trace here" is
   * only true once the resource's {@code recover()} has been heard. Open from the start when there is none.
   */
  private final Promise<Void> recovered = Promise.promise();

  /**
   * @param activeTimeout how long a branch may stay ACTIVE (worked for, not prepared) before it is rolled back
   *     here: the coordinator may have forgotten the transaction (a restart before any decision is a presumed
   *     abort that tells nobody), and an unprepared branch may be aborted unilaterally. The transaction's own
   *     deadline (from the enlistment) ends it sooner when it is earlier.
   * @param silenceTimeout how long an open branch may hear nothing before {@code silence} is told
   */
  public BranchEngine(Context context, Map<String, ResourceManager> resources, BranchLog log, LeaseCheck leases,
      Enlistment enlistment, MeterRegistry registry, java.time.Duration activeTimeout, Silence silence,
      java.time.Duration silenceTimeout) {
    this.context = context;
    this.silence = silence;
    this.silenceTimeout = silenceTimeout;
    long period = Math.max(50, silenceTimeout.toMillis() / 4);
    this.silenceTimer = context.owner().setPeriodic(period, id -> context.runOnContext(v -> checkSilence()));
    this.activeTimeout = activeTimeout;
    this.resources = Map.copyOf(resources);
    this.durablePrepare = java.util.Set.copyOf(resources.entrySet().stream()
        .filter(e -> e.getValue().durablePrepare()).map(Map.Entry::getKey).toList());
    if (durablePrepare.isEmpty()) {
      recovered.complete();
    }
    this.log = log;
    this.leases = leases;
    this.enlistment = enlistment;
    this.prepareTimer = Timer.builder("pledge.participant.prepare.latency")
        .description("Time from a Prepare arriving to the vote, including the forced log write")
        .publishPercentiles(0.5, 0.99).register(registry);
    this.votesNo = Counter.builder("pledge.participant.votes.no").description("No votes cast").register(registry);
  }

  public boolean serves(String participantId) {
    return resources.containsKey(participantId);
  }

  public java.util.Set<String> participantIds() {
    return resources.keySet();
  }

  public ResourceManager resource(String participantId) {
    ResourceManager rm = resources.get(participantId);
    if (rm == null) {
      throw new UnknownParticipant(participantId);
    }
    return rm;
  }

  /** The service works for {@code txId}: enlists the first time, fails once the branch is finished. */
  public Future<Void> join(String txId, String participantId) {
    return join(txId, participantId, () -> enlistment.enlist(txId, participantId));
  }

  /**
   * Like {@link #join(String, String)} with another way to enlist: {@code enlist} runs the first time and answers
   * the deadline (the short path answers the client's, calling nobody).
   */
  public Future<Void> join(String txId, String participantId, Supplier<Future<Long>> enlist) {
    return run(txId, participantId, BranchCall.JOIN, state -> switch (Barrier.decide(state, BranchCall.JOIN)) {
      case ENLIST -> enlist.get().map(deadline -> {
        move(txId, participantId, BranchState.ACTIVE);
        long delay = activeTimeout.toMillis();
        if (deadline > 0) {
          delay = Math.max(1, Math.min(delay, deadline + DEADLINE_GRACE.toMillis() - System.currentTimeMillis()));
        }
        live.get(new Key(txId, participantId)).expiryTimer =
            context.owner().setTimer(delay, id -> expire(txId, participantId));
        return (Void) null;
      });
      case ACK -> Future.succeededFuture();
      default -> reject(txId, state, BranchCall.JOIN);
    });
  }

  public Future<Vote> prepare(String txId, String participantId) {
    long start = System.nanoTime();
    return run(txId, participantId, BranchCall.PREPARE, state -> switch (decide(participantId, state,
        BranchCall.PREPARE)) {
      case RUN_PREPARE -> runPrepare(txId, participantId);
      case VOTE_YES -> Future.succeededFuture(Vote.yes());
      case VOTE_READ_ONLY -> Future.succeededFuture(Vote.readOnly());
      case VOTE_NO -> Future.succeededFuture(Vote.no(state == BranchState.ROLLED_BACK
          ? "branch was already rolled back" : "no work for this transaction at this participant"));
      default -> reject(txId, state, BranchCall.PREPARE);
    }).onSuccess(vote -> {
      prepareTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (vote.kind() == Vote.Kind.NO) {
        votesNo.increment();
      }
    });
  }

  private Future<Vote> runPrepare(String txId, String participantId) {
    ResourceManager rm = resource(participantId);
    return vote(txId, rm).compose(vote -> switch (vote.kind()) {
      // The resource's prepared branch is the durable record of this yes: see votedYesUnlogged.
      case YES -> durablePrepare.contains(participantId) ? votedYesUnlogged(txId, participantId, vote)
      // Force the record before the yes leaves: a yes the coordinator counted must survive kill -9.
          : log.prepared(txId, participantId)
          .map(v -> {
            move(txId, participantId, BranchState.PREPARED);
            return vote;
          })
          .recover(failure -> abortLocally(txId, participantId,
              Vote.no("could not force the prepared record: " + describe(failure))));
      case READ_ONLY -> {
        move(txId, participantId, BranchState.READ_ONLY);
        yield Future.succeededFuture(vote);
      }
      // A no voter may abort on its own: nothing was promised.
      case NO -> abortLocally(txId, participantId, vote);
    });
  }

  /**
   * A yes at a resource whose prepare is its own durable record ({@link ResourceManager#durablePrepare}): nothing is
   * written here, the branch is PREPARED in memory and the vote leaves. Why no outcome can be lost or doubled:
   * <ul>
   *   <li>Crash after the resource prepared, before or after the vote left: the resource still holds the branch, so
   *       the restart adopts it as PREPARED from {@code recover()} (StartupRecovery) and asks the coordinator, as
   *       for a logged branch. If the yes never arrived, the coordinator aborted (a prepare that fails is a no) or is
   *       still waiting (PENDING; its Prepare again now answers yes from the adopted state); if it arrived, the
   *       coordinator's decision stands. Either way the branch ends as the coordinator decided. (The logged path
   *       rolled such a branch back at once, knowing no yes had left; here that is not known, so it asks.)</li>
   *   <li>A Prepare repeated after the yes: PREPARED in memory (or adopted after a restart) answers yes again. A
   *       Rollback that overtook the Prepare left ROLLED_BACK (memory, and the log), so the Prepare votes no without
   *       touching the resource, as before.</li>
   *   <li>Crash after the resource committed, before the (unforced) COMMITTED record: {@code recover()} no longer
   *       lists the branch and the log has no trace, so the coordinator's retried Commit finds UNKNOWN and the
   *       barrier answers {@link Action#RUN_RECOVERED_COMMIT}: commit by id, which the resource does at most once
   *       (XA: a second commit of the Xid is "no such branch", taken as done), then the record. The same window of a
   *       rollback ends in a retried Rollback on UNKNOWN: rolled back by id (nothing left to do) and recorded.</li>
   * </ul>
   * The one-phase path is unchanged: its COMMITTING record is the participant's own decision and stays forced, also
   * for a branch adopted PREPARED after a crash of a one-phase attempt ({@link Action#DECIDE_AND_COMMIT}).
   */
  private Future<Vote> votedYesUnlogged(String txId, String participantId, Vote vote) {
    move(txId, participantId, BranchState.PREPARED);
    return Future.succeededFuture(vote);
  }

  /** The resource's vote, unless a lock lease was lost (then no); a failed prepare is a no too. */
  private Future<Vote> vote(String txId, ResourceManager rm) {
    return leases.lostLease(txId)
        .compose(lost -> lost.isPresent()
            ? Future.succeededFuture(Vote.no("lock lease lost: " + lost.get()))
            : rm.prepare(txId))
        .recover(failure -> Future.succeededFuture(Vote.no("prepare failed: " + describe(failure))));
  }

  private Future<Vote> abortLocally(String txId, String participantId, Vote no) {
    LOG.atInfo().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
        .addKeyValue("reason", no.reason()).log("voting no");
    return rollbackResource(txId, participantId).map(no);
  }

  /** Phase 2 commit, or one-phase commit; completes with true when committed, false when (one-phase) aborted. */
  public Future<Boolean> commit(String txId, String participantId, boolean onePhase) {
    BranchCall call = onePhase ? BranchCall.COMMIT_ONE_PHASE : BranchCall.COMMIT;
    return run(txId, participantId, call, state -> switch (decide(participantId, state, call)) {
      case RUN_COMMIT -> resource(participantId).commit(txId).compose(v -> finish(txId, participantId,
          BranchState.COMMITTED)).map(true);
      case RUN_RECOVERED_COMMIT -> {
        LOG.atInfo().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
            .log("commit of a branch with no trace here: committing by id at the resource, which prepared it");
        move(txId, participantId, BranchState.PREPARED);
        yield resource(participantId).commit(txId).compose(v -> finish(txId, participantId,
            BranchState.COMMITTED)).map(true);
      }
      case RUN_ONE_PHASE -> runOnePhase(txId, participantId);
      case DECIDE_AND_COMMIT -> log.committing(txId, participantId)
          .onSuccess(v -> move(txId, participantId, BranchState.COMMITTING))
          .compose(v -> resource(participantId).commit(txId))
          .compose(v -> finish(txId, participantId, BranchState.COMMITTED))
          .map(true);
      case ACK -> Future.succeededFuture(true);
      case ANSWER_ABORTED -> Future.succeededFuture(false);
      default -> reject(txId, state, call);
    });
  }

  /**
   * One-phase commit: the coordinator lets its only participant decide. Prepare, force COMMITTING (the decision),
   * then commit: a crash after the resource committed but before the COMMITTED record must not let a retried
   * one-phase commit answer ABORTED, so the decision is durable before the resource applies it. A failed commit
   * after the decision is an error (the coordinator retries; the branch stays COMMITTING), never an abort.
   */
  private Future<Boolean> runOnePhase(String txId, String participantId) {
    ResourceManager rm = resource(participantId);
    return vote(txId, rm).compose(vote -> switch (vote.kind()) {
      case YES -> log.committing(txId, participantId)
          .onSuccess(v -> move(txId, participantId, BranchState.COMMITTING))
          .compose(v -> rm.commit(txId))
          .compose(v -> finish(txId, participantId, BranchState.COMMITTED))
          .map(true);
      case READ_ONLY -> {
        move(txId, participantId, BranchState.READ_ONLY);
        yield Future.succeededFuture(true);
      }
      case NO -> abortLocally(txId, participantId, vote).map(false);
    });
  }

  public Future<Void> rollback(String txId, String participantId) {
    return run(txId, participantId, BranchCall.ROLLBACK, state -> switch (decide(participantId, state,
        BranchCall.ROLLBACK)) {
      case RUN_ROLLBACK -> rollbackResource(txId, participantId);
      // Remembered (in the log) so that the prepare it overtook votes no and a late join fails.
      case RECORD_ROLLBACK -> finish(txId, participantId, BranchState.ROLLED_BACK);
      case ACK -> Future.<Void>succeededFuture();
      default -> reject(txId, state, BranchCall.ROLLBACK);
    });
  }

  /**
   * Rolls back a branch still ACTIVE past the transaction's deadline (or {@code activeTimeout}); any other state
   * means it moved on in time. Not a call from outside, so it does not count as hearing from the coordinator.
   */
  private void expire(String txId, String participantId) {
    Entry entry = live.get(new Key(txId, participantId));
    if (entry == null || entry.state != BranchState.ACTIVE) {
      return;
    }
    entry.expiryTimer = -1;
    run(txId, participantId, BranchCall.ROLLBACK, state -> {
      if (state != BranchState.ACTIVE) {
        return Future.<Void>succeededFuture();
      }
      LOG.atWarn().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
          .log("branch not prepared by the transaction's deadline: rolling it back");
      return rollbackResource(txId, participantId);
    });
  }

  private Action decide(String participantId, BranchState state, BranchCall call) {
    return Barrier.decide(state, call, durablePrepare.contains(participantId));
  }

  /**
   * Start-up recovery found {@code txId} prepared in the resource of {@code participantId}, which declares
   * {@link ResourceManager#durablePrepare}, and no record of it in the log: the branch voted yes (or was about to)
   * with the resource's record alone. It is PREPARED here from now on, and stays in memory until its outcome.
   * Called before {@link #recoveryDone}, so no call has read the branch's state yet.
   */
  public Future<Void> adoptPrepared(String txId, String participantId) {
    if (!durablePrepare.contains(participantId)) {
      return Future.failedFuture(new IllegalArgumentException("participant " + participantId
          + " keeps its own PREPARED records: a branch without one was never voted yes"));
    }
    return onContext(() -> {
      Entry entry = live.computeIfAbsent(new Key(txId, participantId), k -> new Entry());
      if (entry.state == null || entry.state == BranchState.UNKNOWN) {
        entry.state = BranchState.UNKNOWN;
        move(txId, participantId, BranchState.PREPARED);
      }
      return Future.succeededFuture();
    });
  }

  /** Start-up recovery has adopted every prepared branch the resources hold: calls may read branch states now. */
  public void recoveryDone() {
    context.runOnContext(v -> recovered.tryComplete());
  }

  /** Tells {@link Silence} about every open branch that heard nothing for the silence timeout. */
  private void checkSilence() {
    long now = System.nanoTime();
    long limit = silenceTimeout.toNanos();
    for (Map.Entry<Key, Entry> e : java.util.List.copyOf(live.entrySet())) {
      Entry entry = e.getValue();
      if ((entry.state == BranchState.ACTIVE || entry.state == BranchState.PREPARED) && entry.pending == 0
          && now - entry.lastHeard >= limit) {
        entry.lastHeard = now; // ask again only after another silence timeout
        silence.silent(e.getKey().txId(), e.getKey().participantId(), entry.state);
      }
    }
  }

  /** Stops the silence checks (the node is closing). */
  public void close() {
    context.owner().cancelTimer(silenceTimer);
  }

  /** Whether the branch is still open here (ACTIVE or PREPARED), as far as memory and the log know. */
  public Future<Boolean> isOpen(String txId, String participantId) {
    return onContext(() -> {
      Entry entry = live.get(new Key(txId, participantId));
      if (entry != null && entry.state != null) {
        return Future.succeededFuture(entry.state == BranchState.ACTIVE || entry.state == BranchState.PREPARED
            || entry.state == BranchState.COMMITTING);
      }
      return log.find(txId, participantId).map(r -> r.map(x -> x.state() == BranchState.PREPARED
          || x.state() == BranchState.COMMITTING).orElse(false));
    });
  }

  private Future<Void> rollbackResource(String txId, String participantId) {
    return resource(participantId).rollback(txId).compose(v -> finish(txId, participantId, BranchState.ROLLED_BACK));
  }

  private Future<Void> finish(String txId, String participantId, BranchState state) {
    return log.finished(new BranchRecord(txId, participantId, state)).map(v -> {
      move(txId, participantId, state);
      return null;
    });
  }

  /** Runs {@code op} on the engine's context after every earlier call for the same branch, then hops back. */
  private <T> Future<T> run(String txId, String participantId, BranchCall call,
      java.util.function.Function<BranchState, Future<T>> op) {
    if (!serves(participantId)) {
      return Future.failedFuture(new UnknownParticipant(participantId));
    }
    Key key = new Key(txId, participantId);
    return onContext(() -> {
      Entry entry = live.computeIfAbsent(key, k -> new Entry());
      entry.pending++;
      entry.lastHeard = System.nanoTime();
      Future<T> result = entry.tail.transform(ignored -> load(key, entry)).compose(op::apply);
      entry.tail = result;
      return result.andThen(ar -> {
        if (ar.failed() && !(ar.cause() instanceof RejectedCall)) {
          LOG.atWarn().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
              .addKeyValue("call", call).addKeyValue("error", describe(ar.cause())).log("branch call failed");
        }
        if (--entry.pending == 0 && entry.state != BranchState.ACTIVE && entry.state != BranchState.PREPARED) {
          live.remove(key);
        }
      });
    });
  }

  private Future<BranchState> load(Key key, Entry entry) {
    if (entry.state != null) {
      return Future.succeededFuture(entry.state);
    }
    Future<Void> ready = durablePrepare.contains(key.participantId()) ? recovered.future()
        : Future.succeededFuture();
    return ready.compose(v -> entry.state != null ? Future.succeededFuture(entry.state)
        : log.find(key.txId(), key.participantId()).map(found -> {
          entry.state = found.map(BranchRecord::state).orElse(BranchState.UNKNOWN);
          return entry.state;
        }));
  }

  private void move(String txId, String participantId, BranchState next) {
    Entry entry = live.get(new Key(txId, participantId));
    entry.state = entry.state.checkTransition(next);
    if (entry.state != BranchState.ACTIVE && entry.expiryTimer >= 0) {
      context.owner().cancelTimer(entry.expiryTimer);
      entry.expiryTimer = -1;
    }
    if (entry.state == BranchState.PREPARED || entry.state == BranchState.COMMITTING) {
      leases.prepared(txId);
    }
    if (entry.state.isFinal()) {
      leases.finished(txId);
    }
  }

  private <T> Future<T> reject(String txId, BranchState state, BranchCall call) {
    return Future.failedFuture(new RejectedCall("transaction " + txId + " is " + state + " here: " + call
        + " is not allowed"));
  }

  /** Branches currently held in memory (active or prepared ones and those with calls in flight). */
  public Future<Integer> liveCount() {
    return onContext(() -> Future.succeededFuture(live.size()));
  }

  private <T> Future<T> onContext(Supplier<Future<T>> op) {
    Context caller = Vertx.currentContext();
    if (caller == context) {
      return op.get();
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> op.get().onComplete(promise));
    return caller == null ? promise.future() : Future.fromCompletionStage(promise.future().toCompletionStage(), caller);
  }

  static String describe(Throwable failure) {
    return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
  }
}
