package io.pledge.participant.endpoint.impl;

import io.pledge.participant.barrier.BranchState;
import io.pledge.participant.log.BranchLog;
import io.pledge.participant.log.BranchRecord;
import io.pledge.participant.recovery.InDoubtResolver;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a start does before it reports ready: hands every PREPARED branch of the log to the resolver (which asks the
 * coordinator, without waiting for it here), and reconciles what each resource still holds prepared
 * ({@code ResourceManager.recover()}, for XA the in-doubt Xids) with the log.
 *
 * <p>A resource branch prepared without a PREPARED record in the log: at a resource that keeps the forced record,
 * it never got a yes vote out (the record is forced before the vote), so under presumed abort the coordinator cannot
 * have committed it: it is rolled back at once. At a resource whose prepare is its own durable record
 * ({@code ResourceManager.durablePrepare}) it is exactly what a yes vote leaves behind: it is adopted as PREPARED
 * and resolved with the coordinator like a logged branch. A resource branch whose record says COMMITTED or
 * ROLLED_BACK only missed its phase 2 before the crash: it is finished the way the log says.
 *
 * <p>Once every resource was heard, the engine is told ({@code recoveryDone}): calls for a participant with a
 * durable prepare wait for that, since before it "no trace of this branch" may only mean "not adopted yet".
 */
public final class StartupRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(StartupRecovery.class);

  private final BranchEngine engine;
  private final BranchLog log;
  private final InDoubtResolver resolver;

  public StartupRecovery(BranchEngine engine, BranchLog log, InDoubtResolver resolver) {
    this.engine = engine;
    this.log = log;
    this.resolver = resolver;
  }

  /** Completes once the resources are reconciled; in-doubt branches keep resolving in the background. */
  public Future<Void> run() {
    return log.inDoubt().compose(prepared -> {
      Set<String> inLog = new HashSet<>();
      for (BranchRecord r : prepared) {
        inLog.add(r.participantId() + "\n" + r.txId());
        if (engine.serves(r.participantId()) && r.state() == BranchState.COMMITTING) {
          // A one-phase decision of this participant's own: finish it, there is nothing to ask.
          engine.commit(r.txId(), r.participantId(), true).onFailure(e -> LOG.atWarn()
              .addKeyValue("txId", r.txId()).addKeyValue("error", e.getMessage())
              .log("finishing a one-phase commit failed; the coordinator's retry will finish it"));
        } else if (engine.serves(r.participantId())) {
          resolver.resolve(r.txId(), r.participantId());
        } else {
          LOG.atError().addKeyValue("txId", r.txId()).addKeyValue("participantId", r.participantId())
              .log("prepared branch of a participant this node no longer serves; register it to resolve it");
        }
      }
      List<Future<Void>> reconciled = new ArrayList<>();
      for (String participantId : engine.participantIds()) {
        reconciled.add(engine.resource(participantId).recover().compose(held -> {
          List<Future<Void>> each = new ArrayList<>();
          for (String txId : held) {
            if (!inLog.contains(participantId + "\n" + txId)) {
              each.add(reconcile(txId, participantId));
            }
          }
          return Future.all(each).mapEmpty();
        }));
      }
      return Future.all(reconciled).<Void>mapEmpty();
    }).andThen(done -> engine.recoveryDone());
  }

  private Future<Void> reconcile(String txId, String participantId) {
    return log.find(txId, participantId).compose((Optional<BranchRecord> record) -> {
      if (record.isEmpty() && engine.resource(participantId).durablePrepare()) {
        LOG.atInfo().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
            .log("resource branch prepared (its own durable record of a yes vote): asking the coordinator");
        return engine.adoptPrepared(txId, participantId)
            .onSuccess(v -> resolver.resolve(txId, participantId));
      }
      boolean commit = record.map(r -> r.state() == BranchState.COMMITTED).orElse(false);
      LOG.atInfo().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
          .addKeyValue("log", record.map(r -> r.state().name()).orElse("none"))
          .log(commit ? "resource branch left prepared after its commit: committing"
              : "resource branch prepared without a yes vote: rolling back");
      return commit ? engine.resource(participantId).commit(txId) : engine.resource(participantId).rollback(txId);
    });
  }
}
