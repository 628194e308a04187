package io.pledge.coordinator.log;

import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * A {@link TxLog} in memory, for tests of the protocol without disks: "durable" means "until this object is
 * dropped", so a test simulates a crash by building a new coordinator on the same instance. Thread-safe; stages
 * complete on the calling thread.
 */
public final class InMemoryTxLog implements TxLog {

  private final Map<TxId, LoggedTx> records = new TreeMap<>();
  private final LongSupplier clock;
  private long epoch;
  private long purgedThroughEpoch;

  public InMemoryTxLog(LongSupplier clock) {
    this.clock = clock;
  }

  @Override
  public synchronized CompletionStage<Long> nextEpoch() {
    return CompletableFuture.completedFuture(++epoch);
  }

  @Override
  public synchronized CompletionStage<Void> writeIntent(TxId id, List<Participant> participants, boolean onePhase,
      long deadlineMillis, Info info) {
    records.put(id, new LoggedTx(id, Kind.INTENT, onePhase, deadlineMillis, clock.getAsLong(), participants, null,
        Set.of(), info));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<Void> writeEnd(TxId id, Outcome outcome, AbortReason reason, Info info) {
    LoggedTx before = records.get(id);
    end(id, outcome, reason);
    if (before == null) {
      LoggedTx end = records.get(id);
      records.put(id, new LoggedTx(id, end.kind(), end.onePhase(), end.deadlineMillis(), end.updatedAtMillis(),
          end.participants(), end.abortReason(), end.forgotten(), info));
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<Void> forceCommit(TxId id, List<Participant> participants) {
    LoggedTx intent = records.get(id);
    if (intent == null || intent.kind().isEnd()) {
      return CompletableFuture.failedFuture(new IllegalStateException("no intent record for " + id));
    }
    records.put(id, new LoggedTx(id, Kind.COMMIT, intent.onePhase(), intent.deadlineMillis(), clock.getAsLong(),
        participants, null, Set.of(), intent.info()));
    return CompletableFuture.completedFuture(null);
  }

  private void end(TxId id, Outcome outcome, AbortReason reason) {
    LoggedTx before = records.get(id);
    records.put(id, new LoggedTx(id, outcome == Outcome.COMMITTED ? Kind.COMMITTED : Kind.ROLLED_BACK,
        before != null && before.onePhase(), before == null ? 0 : before.deadlineMillis(), clock.getAsLong(),
        before == null ? List.of() : before.participants(), reason, Set.of(), before == null ? null : before.info()));
  }

  @Override
  public synchronized CompletionStage<Void> forceResolvedEnd(TxId id, Outcome outcome, AbortReason reason,
      List<Participant> forgotten) {
    LoggedTx before = records.get(id);
    List<Participant> participants = new ArrayList<>(before == null ? List.of() : before.participants());
    Set<String> forgottenIds = new HashSet<>(before == null ? Set.of() : before.forgotten());
    for (Participant p : forgotten) {
      forgottenIds.add(p.id());
      if (participants.stream().noneMatch(x -> x.id().equals(p.id()))) {
        participants.add(p);
      }
    }
    records.put(id, new LoggedTx(id, outcome == Outcome.COMMITTED ? Kind.COMMITTED : Kind.ROLLED_BACK,
        before != null && before.onePhase(), before == null ? 0 : before.deadlineMillis(), clock.getAsLong(),
        participants, reason, forgottenIds, before == null ? null : before.info()));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<List<LoggedTx>> unfinished() {
    return CompletableFuture.completedFuture(new ArrayList<>(records.values().stream()
        .filter(r -> !r.kind().isEnd()).toList()));
  }

  @Override
  public synchronized CompletionStage<Optional<LoggedTx>> find(TxId id) {
    return CompletableFuture.completedFuture(Optional.ofNullable(records.get(id)));
  }

  @Override
  public synchronized CompletionStage<Integer> purgeEndedBefore(long endedBeforeMillis) {
    List<TxId> gone = records.values().stream()
        .filter(r -> r.kind().isEnd() && r.updatedAtMillis() < endedBeforeMillis).map(LoggedTx::id).toList();
    gone.forEach(id -> {
      records.remove(id);
      purgedThroughEpoch = Math.max(purgedThroughEpoch, id.epoch());
    });
    return CompletableFuture.completedFuture(gone.size());
  }

  @Override
  public synchronized CompletionStage<Long> purgedThroughEpoch() {
    return CompletableFuture.completedFuture(purgedThroughEpoch);
  }

  @Override
  public void close() {}
}
