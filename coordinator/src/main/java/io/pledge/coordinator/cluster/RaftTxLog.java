package io.pledge.coordinator.cluster;

import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Entry;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.cluster.LogRecord.Purge;
import io.pledge.coordinator.cluster.LogRecord.Result;
import io.pledge.coordinator.log.H2TxLog;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.log.TxLog.Info;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@link TxLog} of a coordinator cluster: every write is a record in a Raft entry, and its stage completes once the
 * entry is committed (in the synced logs of a majority) and applied to this node's H2 log; reads go to that H2 log,
 * which holds every entry committed before this node's leadership began (the leader applied its epoch record first).
 * So "written" and "forced" records alike are majority-durable here.
 *
 * <p><b>Group commit.</b> Records submitted while {@value #MAX_IN_FLIGHT} entries await their commit wait for the
 * next entry, which takes all of them (up to {@code maxBatch}): under load, many transactions share one entry, one
 * append and one sync on each node.
 *
 * <p>A record the log refuses (it contradicts a decision already applied, see {@link ApplyRules}) fails its stage
 * with a {@link RefusedException}. A stage that fails otherwise (this node is no longer the leader, no majority in
 * time) leaves the record's fate unknown: a new leader may still commit the entry.
 */
public final class RaftTxLog implements TxLog {

  static final int MAX_IN_FLIGHT = 1;

  /** A record the replicated log refused because it contradicts what the log holds. */
  public static final class RefusedException extends IllegalStateException {
    public RefusedException(String message) {
      super(message);
    }
  }

  private record Pending(LogRecord record, CompletableFuture<Result> result) {}

  private final H2TxLog local;
  private final Function<byte[], CompletableFuture<byte[]>> proposer;
  private final String selfId;
  private final Supplier<String> selfEndpoint;
  private final LongSupplier clock;
  private final int maxBatch;
  private final ReentrantLock lock = new ReentrantLock();
  private List<Pending> queue = new ArrayList<>();
  private int inFlight;

  /**
   * @param proposer proposes an entry as the leader, completing with the state machine's reply (see
   *     {@link RaftNode#propose})
   * @param selfEndpoint where this node serves gRPC, announced in its epoch record for followers' redirects
   */
  public RaftTxLog(H2TxLog local, Function<byte[], CompletableFuture<byte[]>> proposer, String selfId,
      Supplier<String> selfEndpoint, LongSupplier clock, int maxBatch) {
    this.local = local;
    this.proposer = proposer;
    this.selfId = selfId;
    this.selfEndpoint = selfEndpoint;
    this.clock = clock;
    this.maxBatch = maxBatch;
  }

  @Override
  public CompletionStage<Long> nextEpoch() {
    return submit(new NewEpoch(selfId, selfEndpoint.get())).thenApply(Result::value);
  }

  @Override
  public CompletionStage<Void> writeIntent(TxId id, List<Participant> participants, boolean onePhase,
      long deadlineMillis, Info info) {
    return done(submit(new Intent(id, participants, onePhase, deadlineMillis, info)));
  }

  @Override
  public CompletionStage<Void> forceCommit(TxId id, List<Participant> participants) {
    return done(submit(new Commit(id, participants)));
  }

  @Override
  public CompletionStage<Void> forceAbort(TxId id, AbortReason reason) {
    return done(submit(new Abort(id, reason)));
  }

  @Override
  public CompletionStage<Void> writeEnd(TxId id, Outcome outcome, AbortReason reason, Info info) {
    return done(submit(new End(id, outcome, reason, List.of(), false, info)));
  }

  @Override
  public CompletionStage<Void> forceResolvedEnd(TxId id, Outcome outcome, AbortReason reason,
      List<Participant> forgotten) {
    return done(submit(new End(id, outcome, reason, forgotten, true)));
  }

  @Override
  public CompletionStage<List<LoggedTx>> unfinished() {
    return local.unfinished();
  }

  @Override
  public CompletionStage<Optional<LoggedTx>> find(TxId id) {
    return local.find(id);
  }

  @Override
  public CompletionStage<Integer> purgeEndedBefore(long endedBeforeMillis) {
    return submit(new Purge(endedBeforeMillis)).thenApply(r -> (int) r.value());
  }

  @Override
  public CompletionStage<Long> purgedThroughEpoch() {
    return local.purgedThroughEpoch();
  }

  @Override
  public boolean replicated() {
    return true;
  }

  /** The H2 log belongs to the {@link RaftNode}, which closes it. */
  @Override
  public void close() {}

  private static CompletionStage<Void> done(CompletableFuture<Result> result) {
    return result.thenApply(r -> null);
  }

  private CompletableFuture<Result> submit(LogRecord record) {
    Pending pending = new Pending(record, new CompletableFuture<>());
    List<Pending> batch = null;
    lock.lock();
    try {
      queue.add(pending);
      if (inFlight < MAX_IN_FLIGHT) {
        batch = takeBatch();
      }
    } finally {
      lock.unlock();
    }
    if (batch != null) {
      send(batch);
    }
    return pending.result();
  }

  /** Call with the lock held and a slot free. */
  private List<Pending> takeBatch() {
    List<Pending> batch;
    if (queue.size() <= maxBatch) {
      batch = queue;
      queue = new ArrayList<>();
    } else {
      batch = new ArrayList<>(queue.subList(0, maxBatch));
      queue = new ArrayList<>(queue.subList(maxBatch, queue.size()));
    }
    inFlight++;
    return batch;
  }

  private void send(List<Pending> batch) {
    byte[] entry;
    try {
      entry = LogCodec.encode(new Entry(batch.stream().map(Pending::record).toList(), clock.getAsLong()));
    } catch (RuntimeException e) {
      batch.forEach(p -> p.result().completeExceptionally(e));
      sent();
      return;
    }
    proposer.apply(entry).whenComplete((reply, failure) -> {
      try {
        if (failure != null) {
          batch.forEach(p -> p.result().completeExceptionally(failure));
        } else {
          List<Result> results = LogCodec.decodeReply(reply);
          for (int i = 0; i < batch.size(); i++) {
            Result r = i < results.size() ? results.get(i) : Result.refused("no result for this record");
            if (r.applied()) {
              batch.get(i).result().complete(r);
            } else {
              batch.get(i).result().completeExceptionally(new RefusedException(r.detail()));
            }
          }
        }
      } catch (RuntimeException e) {
        batch.forEach(p -> p.result().completeExceptionally(e));
      } finally {
        sent();
      }
    });
  }

  private void sent() {
    List<Pending> next = null;
    lock.lock();
    try {
      inFlight--;
      if (!queue.isEmpty() && inFlight < MAX_IN_FLIGHT) {
        next = takeBatch();
      }
    } finally {
      lock.unlock();
    }
    if (next != null) {
      send(next);
    }
  }
}
