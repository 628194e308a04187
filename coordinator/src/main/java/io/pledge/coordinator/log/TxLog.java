package io.pledge.coordinator.log;

import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The coordinator's transaction log.
 *
 * <p><b>Durability contract.</b> When a stage returned by a {@code force} method completes, the record survives
 * {@code kill -9} of the process and a power loss. When a stage returned by a {@code write} method completes, the
 * record survives {@code kill -9} of the process, not necessarily a power loss: recovery is correct without those
 * records (presumed abort), they only let it tell participants sooner.
 *
 * <p><b>Ordering.</b> Records of one transaction are applied in the order they are submitted. A later forced
 * record makes every earlier record durable too.
 *
 * <p><b>Threading.</b> Methods may be called from any thread and never block; stages complete on the log's own
 * thread, so callers hop back to their context before touching their state.
 *
 * <p><b>Idempotency.</b> Writing the same record twice has the effect of writing it once.
 */
public interface TxLog extends AutoCloseable {

  /** Increments and forces the boot epoch; called once at start, before any transaction id is handed out. */
  CompletionStage<Long> nextEpoch();

  /**
   * The participant list of a transaction about to prepare (or one-phase commit), with the transaction's
   * {@link Info} (its owner among it: an implementation that dropped it would let anyone act on the transaction once
   * it left memory). Written, not forced.
   */
  CompletionStage<Void> writeIntent(TxId id, List<Participant> participants, boolean onePhase, long deadlineMillis,
      Info info);

  /** {@link #writeIntent(TxId, List, boolean, long, Info)} with nothing beside the protocol. */
  default CompletionStage<Void> writeIntent(TxId id, List<Participant> participants, boolean onePhase,
      long deadlineMillis) {
    return writeIntent(id, participants, onePhase, deadlineMillis, Info.NONE);
  }

  /**
   * What a record keeps beside the protocol, for lookups once the transaction left memory: when it began, its
   * labels, and its owner (the identity of the caller that began it, from its TLS certificate; empty when none was
   * known), whom alone, with operators, Commit, Rollback and GetTransaction answer (docs/security.md).
   */
  record Info(long begunAtMillis, java.util.Map<String, String> labels, String owner) {
    public static final Info NONE = new Info(0, java.util.Map.of(), "");

    public Info {
      labels = java.util.Map.copyOf(labels);
      owner = owner == null ? "" : owner;
    }

    public Info(long begunAtMillis, java.util.Map<String, String> labels) {
      this(begunAtMillis, labels, "");
    }
  }

  /** The commit decision, with the participants phase 2 must reach. Forced. */
  CompletionStage<Void> forceCommit(TxId id, List<Participant> participants);

  /**
   * The END record once every participant acknowledged; {@code info} is kept when there was no record before.
   * Written, not forced: losing it only repeats phase 2.
   */
  CompletionStage<Void> writeEnd(TxId id, Outcome outcome, AbortReason reason, Info info);

  /** {@link #writeEnd(TxId, Outcome, AbortReason, Info)} with nothing beside the protocol. */
  default CompletionStage<Void> writeEnd(TxId id, Outcome outcome, AbortReason reason) {
    return writeEnd(id, outcome, reason, Info.NONE);
  }

  /**
   * The END record of a transaction an operator resolved, naming the participants the operator took over (they
   * never acknowledged phase 2); they are added to the record's participants if it had none. Forced: the operator
   * is answered only once it is durable. Written even when the transaction had no record (an abort before commit
   * was requested), so that the resolution is on file.
   */
  CompletionStage<Void> forceResolvedEnd(TxId id, Outcome outcome, AbortReason reason, List<Participant> forgotten);

  /**
   * The abort decision of a transaction whose commit was requested (its prepares may have gone out), before any
   * Rollback is sent or the client is told. A single coordinator writes nothing: with presumed abort, no commit
   * record means abort, and nobody else can decide. A {@linkplain #replicated() replicated} log commits it through a
   * majority, so that a deposed leader can neither roll back nor report aborted what a new leader commits
   * (docs/protocol.md, "High availability"). Fails when the log already holds the commit decision.
   */
  default CompletionStage<Void> forceAbort(TxId id, AbortReason reason) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Whether this log is one of several coordinators' (a Raft group): then aborts after commit was requested are
   * logged ({@link #forceAbort}), and recovery drives a transaction whose commit was requested to an outcome
   * (prepares again) rather than presuming it aborted, because its old leader may have been about to commit it.
   */
  default boolean replicated() {
    return false;
  }

  /** Every transaction without an END record: what recovery must finish. */
  CompletionStage<List<LoggedTx>> unfinished();

  CompletionStage<Optional<LoggedTx>> find(TxId id);

  /**
   * Deletes ended transactions whose END is older than {@code endedBeforeMillis}.
   *
   * @return how many were deleted
   */
  CompletionStage<Integer> purgeEndedBefore(long endedBeforeMillis);

  /**
   * The highest epoch any purged record belonged to. An id of an earlier epoch above this one that has no record
   * never reached a commit decision: it is aborted (presumed abort). At or below it, the record may have been purged.
   */
  CompletionStage<Long> purgedThroughEpoch();

  @Override
  void close();
}
