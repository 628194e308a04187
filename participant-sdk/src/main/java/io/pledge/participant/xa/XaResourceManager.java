package io.pledge.participant.xa;

import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ResourceManager} over any {@link XADataSource}: JDBC work a service does for a transaction
 * ({@link #work}) runs in an XA branch whose id is derived from (transaction id, participant id), and the
 * endpoint's prepare/commit/rollback become the branch's XA calls.
 *
 * <p>Threading: JDBC and XA calls block, so they run on this adapter's own worker pool, never on an event loop;
 * the calls for one branch run in order. Futures complete on the caller's Vert.x context.
 *
 * <p>Restart: {@link #recover} lists this participant's branches the database still holds prepared
 * ({@code XAResource.recover()}); {@link #commit} and {@link #rollback} of a branch this process did not start go
 * through a fresh XA connection, and treat "no such branch" ({@code XAER_NOTA}) as already done.
 *
 * <p>Shutdown: a prepared branch must outlive the process, and some drivers (H2) discard a prepared branch when
 * its XA connection is closed normally, so {@link #close} leaves prepared branches' connections open.
 */
public final class XaResourceManager implements ResourceManager, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(XaResourceManager.class);

  private static final int H2_TRANSACTION_NOT_FOUND = 90129;

  private final Vertx vertx;
  private final XADataSource dataSource;
  private final String participantId;
  private final ExecutorService executor;
  private final Map<String, XaBranch> branches = new ConcurrentHashMap<>();

  private XaResourceManager(Vertx vertx, XADataSource dataSource, String participantId, int threads) {
    this.vertx = vertx;
    this.dataSource = dataSource;
    this.participantId = participantId;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "pledge-xa-" + participantId + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * @param participantId the participant id this resource is registered under (part of every Xid)
   * @param threads size of the worker pool for JDBC and XA calls: about the number of concurrent transactions
   */
  public static XaResourceManager create(Vertx vertx, XADataSource dataSource, String participantId, int threads) {
    Objects.requireNonNull(dataSource, "dataSource");
    new PledgeXid("probe", participantId);
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be positive");
    }
    return new XaResourceManager(Objects.requireNonNull(vertx, "vertx"), dataSource, participantId, threads);
  }

  /**
   * Runs JDBC work inside the transaction's branch, starting the branch on first use. Join the transaction first
   * ({@code ParticipantNode.join}), so the coordinator knows to prepare this participant.
   *
   * <p>Work that fails (throws) marks the branch rollback-only ({@link #setRollbackOnly}): whatever it did before
   * failing is in the branch, so the branch's prepare votes no, and a client that commits anyway is told ABORTED
   * instead of committing half a unit of work. Work that should survive its own failure catches it inside
   * {@code work}.
   */
  public <T> Future<T> work(String txId, SqlWork<T> work) {
    XaBranch branch;
    try {
      branch = branches.computeIfAbsent(txId, id -> new XaBranch(new PledgeXid(id, participantId)));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return toFuture(branch.sequence(executor, b -> {
      b.start(dataSource);
      if (b.phase != XaBranch.Phase.ACTIVE) {
        throw new IllegalStateException("transaction " + txId + " is " + b.phase + " here: no more work allowed");
      }
      try {
        return work.run(b.connection);
      } catch (SQLException | RuntimeException e) {
        b.rollbackOnly = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        throw e;
      }
    }));
  }

  /**
   * Marks the transaction's branch rollback-only, as JTA's {@code setRollbackOnly} does: its prepare will vote no
   * with {@code reason}, whether or not any work ran in it. For a service that refused a request of the
   * transaction outside {@link #work} (a lock not granted, a check before any SQL): the client is told, but
   * atomicity must not rest on the client rolling back. Call it only for a transaction the participant joined
   * (else nothing ever ends the mark). The first reason wins.
   */
  public void setRollbackOnly(String txId, String reason) {
    XaBranch branch;
    try {
      branch = branches.computeIfAbsent(txId, id -> new XaBranch(new PledgeXid(id, participantId)));
    } catch (IllegalArgumentException e) {
      return; // an id no branch can have: nothing will be prepared under it
    }
    if (branch.rollbackOnly == null) {
      branch.rollbackOnly = reason == null || reason.isBlank() ? "marked rollback-only" : reason;
    }
  }

  @Override
  public Future<Vote> prepare(String txId) {
    XaBranch branch = branches.get(txId);
    if (branch == null) {
      return Future.succeededFuture(Vote.readOnly());
    }
    return toFuture(branch.sequence(executor, b -> {
      if (b.rollbackOnly != null) {
        rollbackQuietly(b);
        return Vote.no("rollback-only: " + b.rollbackOnly);
      }
      if (b.phase == XaBranch.Phase.NEW) {
        forget(b);
        return Vote.readOnly();
      }
      try {
        endIfActive(b, XAResource.TMSUCCESS);
        int result = b.resource.prepare(b.xid);
        if (result == XAResource.XA_RDONLY) {
          forget(b);
          return Vote.readOnly();
        }
        b.phase = XaBranch.Phase.PREPARED;
        return Vote.yes();
      } catch (XAException e) {
        rollbackQuietly(b);
        return Vote.no("XA prepare failed: " + describe(e));
      }
    }));
  }

  @Override
  public Future<Void> commit(String txId) {
    XaBranch branch = branches.get(txId);
    if (branch == null) {
      return recovered(txId, true);
    }
    return toFuture(branch.sequence(executor, b -> {
      b.resource.commit(b.xid, false);
      forget(b);
      return null;
    }));
  }

  @Override
  public Future<Void> rollback(String txId) {
    XaBranch branch = branches.get(txId);
    if (branch == null) {
      return recovered(txId, false);
    }
    return toFuture(branch.sequence(executor, b -> {
      rollbackQuietly(b);
      return null;
    }));
  }

  @Override
  public Future<Set<String>> recover() {
    return toFuture(CompletableFuture.supplyAsync(() -> {
      XAConnection xac = null;
      try {
        xac = dataSource.getXAConnection();
        Set<String> found = new HashSet<>();
        for (Xid xid : xac.getXAResource().recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)) {
          PledgeXid.of(xid, participantId).ifPresent(x -> found.add(x.txId()));
        }
        return found;
      } catch (SQLException | XAException e) {
        throw new CompletionException(e);
      } finally {
        closeQuietly(xac);
      }
    }, executor));
  }

  /**
   * Commit or rollback of a branch known only to the database (found by recover, or already finished). As the XA
   * recovery protocol has it, the branch is first looked up with {@code recover()} on the same XA resource: a
   * branch not listed is already finished (nothing to do), and some drivers only act on a listed one (H2's
   * rollback of an in-doubt branch is a no-op on a connection that has not recovered it).
   */
  private Future<Void> recovered(String txId, boolean commit) {
    PledgeXid xid = new PledgeXid(txId, participantId);
    return toFuture(CompletableFuture.supplyAsync(() -> {
      XAConnection xac = null;
      try {
        xac = dataSource.getXAConnection();
        XAResource resource = xac.getXAResource();
        boolean listed = false;
        for (Xid x : resource.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)) {
          listed |= PledgeXid.of(x, participantId).map(xid::equals).orElse(false);
        }
        if (!listed) {
          return null; // already finished, or never prepared here: nothing to do (idempotent by contract)
        }
        if (commit) {
          resource.commit(xid, false);
        } else {
          resource.rollback(xid);
        }
        return null;
      } catch (XAException e) {
        if (isUnknownBranch(e)) {
          return null;
        }
        throw new CompletionException(e);
      } catch (SQLException e) {
        throw new CompletionException(e);
      } finally {
        closeQuietly(xac);
      }
    }, executor));
  }

  private static void endIfActive(XaBranch b, int flag) throws XAException {
    if (b.phase == XaBranch.Phase.ACTIVE) {
      b.phase = XaBranch.Phase.ENDED;
      b.resource.end(b.xid, flag);
    }
  }

  private void rollbackQuietly(XaBranch b) throws XAException {
    if (b.phase == XaBranch.Phase.NEW) {
      forget(b);
      return;
    }
    try {
      endIfActive(b, XAResource.TMFAIL);
    } catch (XAException e) {
      // A failed end marks the branch rollback-only at worst; the rollback below is what matters.
      LOG.atDebug().addKeyValue("txId", b.xid.txId()).addKeyValue("error", describe(e)).log("XA end before rollback");
    }
    try {
      b.resource.rollback(b.xid);
    } catch (XAException e) {
      if (!isUnknownBranch(e)) {
        throw e;
      }
    }
    forget(b);
  }

  private void forget(XaBranch b) {
    branches.remove(b.xid.txId(), b);
    closeQuietly(b.xaConnection);
  }

  private static void closeQuietly(XAConnection xac) {
    if (xac == null) {
      return;
    }
    try {
      xac.close();
    } catch (SQLException e) {
      LOG.atWarn().addKeyValue("error", e.getMessage()).log("closing an XA connection failed");
    }
  }

  private <T> Future<T> toFuture(CompletableFuture<T> stage) {
    Context context = Vertx.currentContext();
    // Completed directly (not a dependent stage), so the failure is the cause itself, not a CompletionException.
    CompletableFuture<T> unwrapped = new CompletableFuture<>();
    stage.whenComplete((r, e) -> {
      if (e == null) {
        unwrapped.complete(r);
      } else {
        unwrapped.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
      }
    });
    return context != null ? Future.fromCompletionStage(unwrapped, context)
        : Future.fromCompletionStage(unwrapped, vertx.getOrCreateContext());
  }

  /**
   * "No such branch": {@code XAER_NOTA} by the XA spec; H2 instead reports error code 0 with its SQL error 90129
   * (TRANSACTION_NOT_FOUND) as the cause, which is recognised here too.
   */
  static boolean isUnknownBranch(XAException e) {
    if (e.errorCode == XAException.XAER_NOTA) {
      return true;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getErrorCode() == H2_TRANSACTION_NOT_FOUND) {
        return true;
      }
    }
    return false;
  }

  private static String describe(XAException e) {
    return "XA error " + e.errorCode + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
  }

  /** Branches this process holds open (working or prepared). */
  public int openBranches() {
    return branches.size();
  }

  /**
   * Stops the worker pool. Rolls back branches that are still only active (their work can no longer be prepared);
   * prepared branches are left to the database (see the class comment).
   */
  @Override
  public void close() {
    for (XaBranch b : branches.values()) {
      if (b.phase != XaBranch.Phase.PREPARED) {
        b.sequence(executor, x -> {
          rollbackQuietly(x);
          return null;
        });
      }
    }
    executor.shutdown();
  }
}
