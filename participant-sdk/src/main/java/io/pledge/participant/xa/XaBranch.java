package io.pledge.participant.xa;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.XAConnection;
import javax.transaction.xa.XAResource;

/**
 * One live XA branch: its XA connection and the logical connection taken once before {@code start} (H2 rolls back
 * and re-enables autocommit when a second logical connection is taken). Operations on a branch run one after
 * another on the executor, without locks: each waits for the previous one's future.
 */
final class XaBranch {

  /** NEW: no connection yet (opened by the first task, on a worker, never on the caller's event loop). */
  enum Phase { NEW, ACTIVE, ENDED, PREPARED }

  final PledgeXid xid;
  // Written and read only by this branch's tasks, which run one after another (happens-before via the futures).
  XAConnection xaConnection;
  Connection connection;
  XAResource resource;
  volatile Phase phase = Phase.NEW;
  /** Why the branch may only roll back (a unit of work failed half-way), or null. */
  volatile String rollbackOnly;
  private final AtomicReference<CompletableFuture<Void>> tail =
      new AtomicReference<>(CompletableFuture.completedFuture(null));

  XaBranch(PledgeXid xid) {
    this.xid = xid;
  }

  /** Opens the XA connection and starts the branch, once (on a worker). */
  void start(javax.sql.XADataSource dataSource) throws SQLException, javax.transaction.xa.XAException {
    if (phase != Phase.NEW) {
      return;
    }
    xaConnection = dataSource.getXAConnection();
    connection = xaConnection.getConnection();
    resource = xaConnection.getXAResource();
    resource.start(xid, XAResource.TMNOFLAGS);
    phase = Phase.ACTIVE;
  }

  /** Runs {@code task} after every task queued before it on this branch. */
  <T> CompletableFuture<T> sequence(Executor executor, XaTask<T> task) {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<Void> previous = tail.getAndSet(gate);
    CompletableFuture<T> result = previous.thenApplyAsync(ignored -> {
      try {
        return task.run(this);
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
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
