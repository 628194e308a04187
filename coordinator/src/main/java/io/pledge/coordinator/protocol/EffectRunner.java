package io.pledge.coordinator.protocol;

import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.metrics.CoordinatorMetrics;
import io.pledge.coordinator.protocol.TransactionManager.Entry;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Effect;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxEvent;
import io.pledge.coordinator.state.TxId;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the state machine's effects: log writes, participant calls, answers to waiting clients. Every answer
 * is brought back to the manager's context as the next event; it is always queued (never run inside the current
 * event), so one event's effects never interleave with another's.
 */
final class EffectRunner {

  private static final Logger LOG = LoggerFactory.getLogger(EffectRunner.class);

  private final Vertx vertx;
  private final Context context;
  private final TxLog log;
  private final ParticipantChannel channel;
  private final ProtocolSettings settings;
  private final CoordinatorMetrics metrics;
  private final TransactionManager manager;
  private Consumer<TxId> onFinished = id -> {};

  EffectRunner(Vertx vertx, Context context, TxLog log, ParticipantChannel channel, ProtocolSettings settings,
      CoordinatorMetrics metrics, TransactionManager manager) {
    this.vertx = vertx;
    this.context = context;
    this.log = log;
    this.channel = channel;
    this.settings = settings;
    this.metrics = metrics;
    this.manager = manager;
  }

  /** Called with each finished transaction's id (e.g. to release its locks). */
  void onFinished(Consumer<TxId> hook) {
    this.onFinished = hook;
  }

  void run(Entry entry, Effect effect) {
    TxId id = entry.tx.id();
    if (effect instanceof Effect.LogIntent e) {
      fromLog(log.writeIntent(id, e.participants(), e.onePhase(), entry.tx.deadlineMillis(), info(entry)), ar -> manager.apply(entry,
          ar.succeeded() ? new TxEvent.IntentLogged() : new TxEvent.IntentLogFailed(message(ar.cause()))));
    } else if (effect instanceof Effect.SendPrepare e) {
      sendPrepare(entry, e.participant());
    } else if (effect instanceof Effect.SendOnePhaseCommit e) {
      later(e.attempt(), () -> queued(channel.commit(id, e.participant(), true, settings.callTimeout()), ar -> {
        if (ar.failed()) {
          warnRetry(id, e.participant(), "one-phase commit", e.attempt(), ar.cause());
        }
        manager.apply(entry, ar.succeeded()
            ? new TxEvent.OnePhaseFinished(ar.result().outcome(), ar.result().reason())
            : new TxEvent.OnePhaseFailed(message(ar.cause())));
      }));
    } else if (effect instanceof Effect.ForceCommitRecord e) {
      manager.cancelPrepareTimer(entry);
      later(e.attempt(), () -> fromLog(log.forceCommit(id, e.participants()), ar -> {
        if (ar.failed()) {
          LOG.atError().addKeyValue("txId", id).addKeyValue("attempt", e.attempt())
              .log("forcing the commit decision failed; the transaction stays in doubt and the force is retried: "
                  + message(ar.cause()));
        }
        manager.apply(entry, ar.succeeded() ? new TxEvent.DecisionLogged()
            : new TxEvent.DecisionLogFailed(message(ar.cause())));
      }));
    } else if (effect instanceof Effect.SendCommit e) {
      phaseTwo(entry, e.participant(), e.attempt(), true);
    } else if (effect instanceof Effect.SendRollback e) {
      phaseTwo(entry, e.participant(), e.attempt(), false);
    } else if (effect instanceof Effect.Decided e) {
      decided(entry, e.outcome(), e.reason());
    } else if (effect instanceof Effect.Finished e) {
      finished(entry, e);
    } else {
      throw new IllegalArgumentException("unknown effect " + effect);
    }
  }

  private void sendPrepare(Entry entry, Participant participant) {
    manager.setPrepareTimer(entry);
    long start = System.nanoTime();
    queued(channel.prepare(entry.tx.id(), participant, settings.prepareTimeout()), ar -> {
      metrics.prepared(participant.id(), System.nanoTime() - start);
      if (ar.succeeded()) {
        manager.apply(entry, new TxEvent.VoteReceived(participant.id(), ar.result().vote(), ar.result().reason()));
      } else {
        LOG.atInfo().addKeyValue("txId", entry.tx.id()).addKeyValue("participant", participant.id())
            .log("prepare failed: " + message(ar.cause()));
        manager.apply(entry, new TxEvent.PrepareFailed(participant.id(), message(ar.cause())));
      }
    });
  }

  private void phaseTwo(Entry entry, Participant participant, int attempt, boolean commit) {
    TxId id = entry.tx.id();
    if (attempt > 0) {
      metrics.phaseTwoRetry();
    }
    later(attempt, () -> {
      Future<?> call = commit ? channel.commit(id, participant, false, settings.callTimeout())
          : channel.rollback(id, participant, settings.callTimeout());
      queued(call, ar -> {
        if (ar.failed()) {
          warnRetry(id, participant, commit ? "commit" : "rollback", attempt, ar.cause());
        }
        manager.apply(entry, ar.succeeded() ? new TxEvent.PhaseTwoAcked(participant.id())
            : new TxEvent.PhaseTwoFailed(participant.id(), message(ar.cause())));
      });
    });
  }

  private void decided(Entry entry, Outcome outcome, AbortReason reason) {
    manager.cancelPrepareTimer(entry);
    long latency = entry.commitRequestedNanos < 0 ? -1 : System.nanoTime() - entry.commitRequestedNanos;
    if (outcome == Outcome.COMMITTED) {
      metrics.committed(latency);
    } else {
      metrics.aborted(reason.cause(), latency);
      LOG.atInfo().addKeyValue("txId", entry.tx.id()).addKeyValue("cause", reason.cause())
          .addKeyValue("participant", reason.participantId()).log("aborted: " + reason.detail());
    }
    LOG.atDebug().addKeyValue("txId", entry.tx.id()).addKeyValue("outcome", outcome).log("decided");
    List<Promise<Decision>> waiters = List.copyOf(entry.waiters);
    entry.waiters.clear();
    Decision decision = new Decision(outcome, reason);
    waiters.forEach(w -> w.tryComplete(decision));
  }

  private void finished(Entry entry, Effect.Finished e) {
    manager.cancelPrepareTimer(entry);
    TxId id = entry.tx.id();
    // END goes to the log whenever commit was requested: then an intent was (or is being) written, and the single
    // log writer applies the END after it; and a commit that needed no intent is found by a retried Commit later.
    // An abort before commit was requested needs no record at all (presumed abort). An operator's resolution
    // that forgot participants is forced whatever the state: it is answered once durable (see entry.endLogged).
    if (!e.forgotten().isEmpty()) {
      entry.endLogged = Future.fromCompletionStage(log.forceResolvedEnd(id, e.outcome(), e.reason(), e.forgotten()),
          context);
      LOG.atWarn().addKeyValue("txId", id).addKeyValue("outcome", e.outcome())
          .addKeyValue("forgotten", e.forgotten().stream().map(Participant::id).toList())
          .log("ended by an operator without these participants' acknowledgement: they are the operator's now");
    } else if (entry.tx.isCommitRequested()) {
      log.writeEnd(id, e.outcome(), e.reason(), info(entry)).whenComplete((v, failure) -> {
        if (failure != null) {
          LOG.atWarn().addKeyValue("txId", id).log("END record not written (recovery will finish phase 2 again): "
              + message(failure));
        }
      });
    }
    LOG.atDebug().addKeyValue("txId", id).addKeyValue("outcome", e.outcome()).log("finished");
    manager.finished(entry);
    onFinished.accept(id);
  }

  private void later(int attempt, Runnable action) {
    long delay = settings.retryDelayMillis(attempt, ThreadLocalRandom.current());
    if (delay == 0) {
      action.run();
    } else {
      vertx.setTimer(delay, t -> {
        if (!manager.isStopped()) {
          action.run();
        }
      });
    }
  }

  /**
   * Per participant, a retry warns at attempts 0, 1, 2, 4, 8...; and all together at most 20 lines per 10 s (the
   * coordinator's, over all its managers), the rest counted and summed up in one line: a transaction with many
   * unreachable participants (bounded by limits.participants-per-transaction) must not flood the log.
   */
  private void warnRetry(TxId id, Participant participant, String what, int attempt, Throwable cause) {
    if ((attempt < 3 || Integer.bitCount(attempt) == 1) && retryWarningAllowed()) {
      LOG.atWarn().addKeyValue("txId", id).addKeyValue("participant", participant.id()).addKeyValue("attempt", attempt)
          .log(what + " not acknowledged, will retry: " + message(cause));
    }
  }

  /**
   * Within the coordinator-wide budget ({@link CoordinatorMetrics#retryWarnings}: the managers of every event loop
   * share it); the first line after a window in which some were held back says how many.
   */
  private boolean retryWarningAllowed() {
    io.pledge.coordinator.metrics.WarningBudget.Grant grant = metrics.retryWarnings().take();
    if (grant.suppressed() > 0) {
      LOG.atWarn().addKeyValue("suppressed", grant.suppressed()).log(grant.suppressed()
          + " more phase-2 retry warnings in the last " + grant.windowNanos() / 1_000_000_000L + " s were"
          + " not logged (pledge_phase2_retries_total counts every retry)");
    }
    return grant.allowed();
  }

  private <T> void fromLog(CompletionStage<T> stage, Handler<AsyncResult<T>> handler) {
    stage.whenComplete((v, failure) -> context.runOnContext(x -> handler.handle(
        failure == null ? Future.succeededFuture(v) : Future.failedFuture(failure))));
  }

  private <T> void queued(Future<T> future, Handler<AsyncResult<T>> handler) {
    future.onComplete(ar -> context.runOnContext(x -> handler.handle(ar)));
  }

  private static TxLog.Info info(Entry entry) {
    return new TxLog.Info(entry.tx.begunAtMillis(), entry.tx.labels(), entry.tx.owner());
  }

  static String message(Throwable t) {
    if (t == null) {
      return "";
    }
    Throwable root = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
