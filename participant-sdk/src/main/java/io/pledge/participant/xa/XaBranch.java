package io.pledge.participant.xa;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One XA branch of this process: its leased connection while it has one, and where it stands. Operations on a
 * branch run one after another, each on the executor of its kind (work, or phase 1/2), without locks: each waits
 * for the previous one's future. A waiting operation holds no thread.
 */
final class XaBranch {

  /** NEW: no connection yet. DONE: finished here (committed, rolled back, read-only). */
  enum Phase { NEW, ACTIVE, ENDED, PREPARED, DONE }

  final PledgeXid xid;
  // Written and read only by this branch's tasks, which run one after another (happens-before via the futures).
  XaConnections.Lease lease;
  boolean holdsPermit;
  volatile Phase phase = Phase.NEW;
  /** Why the branch may only roll back (a unit of work failed half-way), or null. */
  volatile String rollbackOnly;
  /** The lease of the work task running now, if any: what a rollback aborts so that a lock wait ends. */
  volatile XaConnections.Lease working;
  private final AtomicReference<CompletableFuture<Void>> tail =
      new AtomicReference<>(CompletableFuture.completedFuture(null));

  XaBranch(PledgeXid xid) {
    this.xid = xid;
  }

  /** Runs {@code task} on {@code executor} after every task queued before it on this branch. */
  <T> CompletableFuture<T> sequence(Executor executor, XaTask<T> task) {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<Void> previous = tail.getAndSet(gate);
    CompletableFuture<T> result = previous.thenApplyAsync(ignored -> {
      try {
        return task.run(this);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, executor);
    result.whenComplete((r, e) -> gate.complete(null));
    return result;
  }

  @FunctionalInterface
  interface XaTask<T> {
    T run(XaBranch branch) throws Exception;
  }
}
