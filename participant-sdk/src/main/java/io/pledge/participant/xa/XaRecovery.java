package io.pledge.participant.xa;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The XA calls made by Xid on a fresh connection rather than on a branch's own: finishing a branch this process
 * did not start (recovery), released after prepare, or whose connection broke; listing in-doubt branches; and the
 * start-up probe. Blocking: called on the adapter's phase executor.
 *
 * <p>Only the database's answer to the commit or rollback itself counts: success, or "no such branch"
 * ({@code XAER_NOTA}). A {@code recover()} listing is never read as proof that a branch finished (PostgreSQL lists
 * only the connecting role's branches).
 */
final class XaRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(XaRecovery.class);

  private final XaConnections connections;
  private final String participantId;
  private final XaDialect.Detected dialect;

  XaRecovery(XaConnections connections, String participantId, XaDialect.Detected dialect) {
    this.connections = connections;
    this.participantId = participantId;
    this.dialect = dialect;
  }

  /** Commits or rolls back {@code xid}; returns once the database said it is done, throws otherwise. */
  void finish(PledgeXid xid, boolean commit) {
    XaConnections.Lease lease;
    try {
      lease = connections.lease();
    } catch (SQLException e) {
      throw new XaResourceException("XA " + (commit ? "commit" : "rollback") + " of " + xid.txId()
          + ": no connection to the database: " + XaErrors.describe(e), e);
    }
    boolean broken = false;
    try {
      XAResource resource = lease.resource();
      if (dialect.of(lease).recoverBeforeXidCall) {
        resource.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN); // lets the driver act on it; proves nothing
      }
      try {
        if (commit) {
          resource.commit(xid, false);
        } else {
          resource.rollback(xid);
        }
      } catch (XAException e) {
        if (!XaErrors.isUnknownBranch(e)) {
          throw e;
        }
        LOG.atDebug().addKeyValue("txId", xid.txId()).log("the database holds no such branch: already finished");
      }
    } catch (XAException | SQLException | RuntimeException e) {
      broken = XaErrors.isConnectionFailure(e);
      throw new XaResourceException("XA " + (commit ? "commit" : "rollback") + " of " + xid.txId() + " failed: "
          + XaErrors.describe(e), e);
    } finally {
      if (broken) {
        lease.discard();
      } else {
        lease.release();
      }
    }
  }

  /** This participant's branches the database lists as prepared (for the connecting role only, on PostgreSQL). */
  Set<String> recover() {
    XaConnections.Lease lease = null;
    boolean broken = true;
    try {
      lease = connections.lease();
      Set<String> found = new HashSet<>();
      for (Xid xid : lease.resource().recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)) {
        PledgeXid.of(xid, participantId).ifPresent(x -> found.add(x.txId()));
      }
      broken = false;
      return found;
    } catch (SQLException | XAException e) {
      throw new XaResourceException("XA recover failed: " + XaErrors.describe(e), e);
    } finally {
      if (lease != null) {
        if (broken) {
          lease.discard();
        } else {
          lease.release();
        }
      }
    }
  }

  /**
   * Starts, prepares and rolls back a probe branch; throws with the database's own reason when it cannot (for
   * PostgreSQL with {@code max_prepared_transactions = 0}: "prepared transactions are disabled").
   */
  void probe() {
    PledgeXid probe = new PledgeXid("pledge-probe-" + UUID.randomUUID(), participantId);
    XaConnections.Lease lease = null;
    try {
      lease = connections.lease();
      XaDialect d = dialect.of(lease);
      XAResource resource = lease.resource();
      resource.start(probe, XAResource.TMNOFLAGS);
      try (Statement s = lease.connection().createStatement()) {
        s.execute("SELECT 1");
      }
      resource.end(probe, XAResource.TMSUCCESS);
      if (resource.prepare(probe) == XAResource.XA_OK) {
        resource.rollback(probe);
      }
      LOG.atInfo().addKeyValue("participantId", participantId).addKeyValue("database", d)
          .log("XA start-up check passed: the database prepares transactions");
      lease.release();
    } catch (XAException | SQLException | RuntimeException e) {
      if (lease != null) {
        try {
          lease.resource().rollback(probe);
        } catch (XAException | RuntimeException ignored) {
          // The probe is not prepared (the failure came first) or the connection is gone; recovery rolls it back.
        }
        lease.discard();
      }
      throw new XaResourceException("participant " + participantId + ": the database cannot take part in"
          + " two-phase commit: " + XaErrors.describe(e), e);
    }
  }
}
