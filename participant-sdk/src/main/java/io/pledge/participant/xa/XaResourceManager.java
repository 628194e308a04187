package io.pledge.participant.xa;

import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ResourceManager} over XA connections: JDBC work a service does for a transaction ({@link #work}) runs in
 * an XA branch whose id is derived from (transaction id, participant id), and the endpoint's prepare, commit and
 * rollback become the branch's XA calls.
 *
 * <p>Threads: JDBC and XA calls block, so they run on this adapter's workers, never on an event loop, and on two
 * separate pools: branch work (which may wait on a database row lock for a long time) and phase 1/2 plus
 * recovery (which never waits on a row lock). Work blocked behind a lock therefore never holds the thread a commit
 * needs, and a rollback of a branch whose work is blocked aborts that work's connection instead of queueing
 * behind it. Connections are split the same way: branches take at most {@code capacity - phaseThreads}
 * connections of the pool, so phase 2 and recovery always find one.
 *
 * <p>Broken connections: a commit or rollback that fails on the branch's own connection is retried on a fresh one
 * by Xid, and only the database's answer counts: success, or "no such branch" ({@code XAER_NOTA}) from the
 * commit or rollback itself. Not being listed by {@code recover()} proves nothing (PostgreSQL lists only the
 * connecting role's branches), so it is never taken as "already finished"; a failure is reported as a failure and
 * the caller (the coordinator's phase 2, the in-doubt resolver) asks again later.
 *
 * <p>Read-only: a branch that changed nothing votes READ_ONLY and leaves nothing prepared, where the database
 * reports it ({@code XA_RDONLY}, or PostgreSQL's {@code txid_current_if_assigned()}: see {@link XaDialect}).
 *
 * <p>Start-up: {@link #startupCheck} prepares and rolls back a probe branch, so a database that cannot prepare
 * (PostgreSQL with {@code max_prepared_transactions = 0}) stops the participant at start with its own reason.
 *
 * <p>Shutdown: a prepared branch must outlive the process, and H2 discards a prepared branch when its connection
 * closes normally, so {@link #close} leaves such branches' connections open.
 */
public final class XaResourceManager implements ResourceManager, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(XaResourceManager.class);

  /** How many finished transaction ids are remembered, so that late work cannot start a branch under them. */
  private static final int FINISHED_MEMORY = 10_000;

  /** How long a rollback waits for the branch's running work before it aborts the work's connection. */
  static final Duration ABORT_GRACE = Duration.ofMillis(250);

  private final Vertx vertx;
  private final XaConnections connections;
  private final boolean ownsConnections;
  private final String participantId;
  private final ExecutorService workExecutor;
  private final ExecutorService phaseExecutor;
  private final Semaphore branchConnections;
  private final Duration leaseTimeout;
  private final Map<String, XaBranch> branches = new ConcurrentHashMap<>();
  private final Set<String> finished = Collections.newSetFromMap(Collections.synchronizedMap(
      new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > FINISHED_MEMORY;
        }
      }));
  private final XaDialect.Detected dialect = new XaDialect.Detected();
  private final XaRecovery recovery;

  private XaResourceManager(Vertx vertx, XaConnections connections, boolean ownsConnections, String participantId,
      int threads, Duration leaseTimeout) {
    this.vertx = vertx;
    this.connections = connections;
    this.ownsConnections = ownsConnections;
    this.participantId = participantId;
    this.leaseTimeout = leaseTimeout;
    this.recovery = new XaRecovery(connections, participantId, dialect);
    int phaseThreads = phaseThreads(threads);
    int capacity = connections.capacity();
    if (capacity != Integer.MAX_VALUE && capacity <= phaseThreads) {
      throw new IllegalArgumentException("an XA pool of " + capacity + " connections leaves none for branches: it"
          + " needs more than the " + phaseThreads + " kept for phase 2 and recovery");
    }
    this.branchConnections = new Semaphore(capacity == Integer.MAX_VALUE ? Integer.MAX_VALUE
        : capacity - phaseThreads, true);
    this.workExecutor = pool("pledge-xa-work-" + participantId, threads);
    this.phaseExecutor = pool("pledge-xa-phase-" + participantId, phaseThreads);
  }

  /** Threads for phase 1/2 and recovery: they never wait on row locks, so a few serve many work threads. */
  static int phaseThreads(int workThreads) {
    return Math.max(2, Math.min(8, workThreads / 4));
  }

  private static ExecutorService pool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Over a bounded connection pool ({@link XaPool}); the adapter closes the pool when it is closed.
   *
   * @param participantId the participant id this resource is registered under (part of every Xid)
   * @param threads threads for branch work: about the number of transactions working here at once
   */
  public static XaResourceManager create(Vertx vertx, XaConnections connections, String participantId, int threads) {
    return create(vertx, connections, participantId, threads, XaPool.Settings.DEFAULT_ACQUISITION_TIMEOUT);
  }

  /** @param leaseTimeout how long new work waits for a connection when all branch connections are taken */
  public static XaResourceManager create(Vertx vertx, XaConnections connections, String participantId, int threads,
      Duration leaseTimeout) {
    Objects.requireNonNull(connections, "connections");
    new PledgeXid("probe", participantId);
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be positive");
    }
    return new XaResourceManager(Objects.requireNonNull(vertx, "vertx"), connections, true, participantId, threads,
        leaseTimeout);
  }

  /**
   * Over a plain XADataSource: a new physical connection per branch, as before pooling. Fine for tests and tools;
   * a service should use {@link XaPool} (see the README's "XA on PostgreSQL").
   */
  public static XaResourceManager create(Vertx vertx, XADataSource dataSource, String participantId, int threads) {
    return create(vertx, XaConnections.unpooled(dataSource), participantId, threads);
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
    return toFuture(branch.sequence(workExecutor, b -> {
      begin(b);
      if (b.phase != XaBranch.Phase.ACTIVE) {
        throw new IllegalStateException("transaction " + txId + " is " + b.phase + " here: no more work allowed");
      }
      b.working = b.lease;
      try {
        return work.run(b.lease.connection());
      } catch (SQLException | RuntimeException e) {
        b.rollbackOnly = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        throw e;
      } finally {
        b.working = null;
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
    if (finished.contains(txId)) {
      return; // finished here already: a mark would only leave an empty branch behind
    }
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

  /** Takes a connection and starts the XA branch, once (on a work thread). */
  private void begin(XaBranch b) throws Exception {
    if (b.phase != XaBranch.Phase.NEW) {
      return;
    }
    if (finished.contains(b.xid.txId())) {
      b.phase = XaBranch.Phase.DONE;
      branches.remove(b.xid.txId(), b);
      throw new IllegalStateException("transaction " + b.xid.txId() + " already finished here: no more work allowed");
    }
    if (!branchConnections.tryAcquire(leaseTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new SQLException("no XA connection free for new work within " + leaseTimeout + ": every branch"
          + " connection is held by a transaction being worked for or waiting for phase 2");
    }
    b.holdsPermit = true;
    try {
      b.lease = connections.lease();
      dialect(b.lease);
      b.lease.resource().start(b.xid, XAResource.TMNOFLAGS);
    } catch (XAException | SQLException | RuntimeException e) {
      releaseLease(b, true);
      throw new XaResourceException("could not start XA branch " + b.xid.txId() + ": " + XaErrors.describe(e), e);
    }
    b.phase = XaBranch.Phase.ACTIVE;
  }

  @Override
  public Future<Vote> prepare(String txId) {
    XaBranch branch = branches.get(txId);
    if (branch == null) {
      return Future.succeededFuture(Vote.readOnly());
    }
    return toFuture(branch.sequence(phaseExecutor, b -> {
      if (b.rollbackOnly != null) {
        rollbackBranch(b);
        return Vote.no("rollback-only: " + b.rollbackOnly);
      }
      if (b.phase == XaBranch.Phase.NEW) {
        done(b);
        return Vote.readOnly();
      }
      try {
        if (b.phase == XaBranch.Phase.ACTIVE && wroteNothing(b)) {
          // Nothing to make durable: end and roll back, so that nothing stays prepared in the database.
          endIfActive(b, XAResource.TMSUCCESS);
          b.lease.resource().rollback(b.xid);
          done(b);
          return Vote.readOnly();
        }
        endIfActive(b, XAResource.TMSUCCESS);
        int result = b.lease.resource().prepare(b.xid);
        if (result == XAResource.XA_RDONLY) {
          done(b);
          return Vote.readOnly();
        }
        b.phase = XaBranch.Phase.PREPARED;
        if (dialect().releaseAfterPrepare) {
          releaseLease(b, false);
        }
        return Vote.yes();
      } catch (XAException e) {
        String reason = "XA prepare failed: " + XaErrors.describe(e);
        // If the rollback fails too, the failure travels up (a no vote all the same) and the branch stays known,
        // so that the coordinator's rollback or the engine's own check finishes it later.
        rollbackBranch(b);
        return Vote.no(reason);
      }
    }));
  }

  /** The database's own view: did this branch change anything? (false when the database cannot tell) */
  private boolean wroteNothing(XaBranch b) {
    String query = dialect().readOnlyQuery;
    if (query == null) {
      return false;
    }
    try (Statement s = b.lease.connection().createStatement(); ResultSet rs = s.executeQuery(query)) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      LOG.atDebug().addKeyValue("txId", b.xid.txId()).addKeyValue("error", e.getMessage())
          .log("read-only check failed; preparing");
      return false;
    }
  }

  @Override
  public Future<Void> commit(String txId) {
    XaBranch branch = branches.get(txId);
    if (branch == null) {
      return toFuture(CompletableFuture.supplyAsync(() -> finishByXid(new PledgeXid(txId, participantId), true),
          phaseExecutor));
    }
    return toFuture(branch.sequence(phaseExecutor, b -> {
      if (b.phase == XaBranch.Phase.DONE) {
        return null;
      }
      if (b.lease != null) {
        try {
          b.lease.resource().commit(b.xid, false);
          done(b);
          return null;
        } catch (XAException e) {
          if (XaErrors.isUnknownBranch(e)) {
            done(b);
            return null;
          }
          LOG.atWarn().addKeyValue("txId", txId).addKeyValue("error", XaErrors.describe(e))
              .log("XA commit failed on the branch's connection; retrying on a fresh connection");
          releaseLease(b, true);
        }
      }
      finishByXid(b.xid, true);
      done(b);
      return null;
    }));
  }

  @Override
  public Future<Void> rollback(String txId) {
    XaBranch branch = branches.get(txId);
    if (branch == null) {
      finished.add(txId);
      return toFuture(CompletableFuture.supplyAsync(() -> finishByXid(new PledgeXid(txId, participantId), false),
          phaseExecutor));
    }
    XaConnections.Lease busy = branch.working;
    if (busy != null && branch.phase == XaBranch.Phase.ACTIVE) {
      // The branch's work is running, perhaps waiting on a row lock for as long as the database lets it. Work that
      // finishes soon is waited for (its connection stays reusable); work still running after the grace is ended
      // by closing its connection (the database rolls back what it did) instead of being waited behind.
      vertx.setTimer(ABORT_GRACE.toMillis(), id -> {
        if (branch.working == busy) {
          LOG.atInfo().addKeyValue("txId", txId).log("rollback while the branch's work still runs: aborting its"
              + " connection");
          busy.abort();
        }
      });
    }
    return toFuture(branch.sequence(phaseExecutor, b -> {
      rollbackBranch(b);
      return null;
    }));
  }

  /**
   * An XA prepare is the database's own durable record of the branch (PostgreSQL's {@code PREPARE TRANSACTION} is
   * synced to its WAL before it returns; H2 writes it to its file), and {@link #recover} lists the branch by its
   * {@link PledgeXid}, which carries the transaction and participant ids: the endpoint need not force a PREPARED
   * record of its own (issue 16). It rests on what the database promises: on PostgreSQL, {@code recover()} lists
   * only the connecting role's branches, so the participant must connect as the same role after a restart. H2
   * hands its prepare to the file system at once only with {@code WRITE_DELAY=0} (an embedded H2 with the default
   * delay can lose it to {@code kill -9}) and never syncs it (a power loss can lose it): a prepared branch the
   * database lost was lost before this change too (the endpoint's record then only named a branch the database no
   * longer had, and the commit by id found "no such branch").
   */
  @Override
  public boolean durablePrepare() {
    return true;
  }

  @Override
  public Future<Set<String>> recover() {
    return toFuture(CompletableFuture.supplyAsync(recovery::recover, phaseExecutor));
  }

  /**
   * Proves that the database can prepare a transaction: starts, prepares and rolls back a probe branch. Fails with
   * the database's own reason (for PostgreSQL with {@code max_prepared_transactions = 0}: "prepared transactions
   * are disabled").
   */
  @Override
  public Future<Void> startupCheck() {
    return toFuture(CompletableFuture.supplyAsync(() -> {
      recovery.probe();
      return null;
    }, phaseExecutor));
  }

  private Void finishByXid(PledgeXid xid, boolean commit) {
    recovery.finish(xid, commit);
    return null;
  }

  /** Rolls the branch back on its own connection, or by Xid on a fresh one when that fails. */
  private void rollbackBranch(XaBranch b) {
    finished.add(b.xid.txId());
    if (b.phase == XaBranch.Phase.NEW || b.phase == XaBranch.Phase.DONE) {
      done(b);
      return;
    }
    if (b.lease != null) {
      try {
        endIfActive(b, XAResource.TMFAIL);
      } catch (XAException e) {
        // A failed end marks the branch rollback-only at worst; the rollback below is what matters.
        LOG.atDebug().addKeyValue("txId", b.xid.txId()).addKeyValue("error", XaErrors.describe(e))
            .log("XA end before rollback");
      }
      try {
        b.lease.resource().rollback(b.xid);
        done(b);
        return;
      } catch (XAException e) {
        if (XaErrors.isUnknownBranch(e)) {
          done(b);
          return;
        }
        LOG.atInfo().addKeyValue("txId", b.xid.txId()).addKeyValue("error", XaErrors.describe(e))
            .log("XA rollback failed on the branch's connection; retrying on a fresh connection");
        releaseLease(b, true);
      } catch (RuntimeException e) {
        releaseLease(b, true);
      }
    }
    finishByXid(b.xid, false);
    done(b);
  }

  private static void endIfActive(XaBranch b, int flag) throws XAException {
    if (b.phase == XaBranch.Phase.ACTIVE) {
      b.phase = XaBranch.Phase.ENDED;
      b.lease.resource().end(b.xid, flag);
    }
  }

  private void done(XaBranch b) {
    b.phase = XaBranch.Phase.DONE;
    finished.add(b.xid.txId());
    branches.remove(b.xid.txId(), b);
    releaseLease(b, false);
  }

  private void releaseLease(XaBranch b, boolean broken) {
    if (b.lease != null) {
      if (broken) {
        b.lease.discard();
      } else {
        b.lease.release();
      }
      b.lease = null;
    }
    if (b.holdsPermit) {
      b.holdsPermit = false;
      branchConnections.release();
    }
  }

  private XaDialect dialect(XaConnections.Lease lease) throws SQLException {
    return dialect.of(lease);
  }

  private XaDialect dialect() {
    return dialect.get();
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

  /** "No such branch" (kept for callers of the old adapter). */
  static boolean isUnknownBranch(XAException e) {
    return XaErrors.isUnknownBranch(e);
  }

  /** Branches this process holds open (working or prepared). */
  public int openBranches() {
    return branches.size();
  }

  /** Physical connections opened so far: divided by transactions, the connections a transaction costs. */
  public long connectionsOpened() {
    return connections.opened();
  }

  /**
   * Stops the workers. Rolls back branches that are still only active (their work can no longer be prepared);
   * prepared branches are left to the database (see the class comment), and so is the pool when one of them still
   * holds its connection.
   */
  @Override
  public void close() {
    boolean keepConnections = false;
    for (XaBranch b : branches.values()) {
      if (b.phase == XaBranch.Phase.PREPARED) {
        keepConnections |= b.lease != null;
      } else {
        b.sequence(phaseExecutor, x -> {
          rollbackBranch(x);
          return null;
        });
      }
    }
    if (ownsConnections && !keepConnections) {
      // After the rollbacks queued above (never blocking the caller, which may be an event loop).
      phaseExecutor.execute(connections::close);
    }
    workExecutor.shutdown();
    phaseExecutor.shutdown();
  }
}
