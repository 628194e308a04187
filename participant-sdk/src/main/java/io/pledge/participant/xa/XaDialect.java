package io.pledge.participant.xa;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the adapter must know about a database's XA implementation, recognised from the connection's metadata.
 *
 * <ul>
 *   <li>{@code releaseAfterPrepare}: a prepared branch lives in the database, not in the session that prepared it
 *       (PostgreSQL's {@code PREPARE TRANSACTION}), so its connection goes back to the pool at once and phase 2
 *       runs on any connection. H2 keeps a prepared branch in its session and discards it when the connection
 *       closes normally, so there the branch keeps its connection until phase 2.</li>
 *   <li>{@code readOnlyQuery}: a query on the branch's connection, before it ends, answering true when the branch
 *       wrote nothing. PostgreSQL prepares (and keeps) even a SELECT-only transaction and never answers
 *       {@code XA_RDONLY}; {@code txid_current_if_assigned()} is null exactly while the transaction has written
 *       nothing (no row changed or locked).</li>
 *   <li>{@code recoverBeforeXidCall}: some drivers act on a branch by Xid only after {@code recover()} listed it on
 *       the same connection (H2). The listing itself is never taken as proof of anything.</li>
 * </ul>
 */
enum XaDialect {
  POSTGRESQL(true, "SELECT txid_current_if_assigned() IS NULL", false),
  H2(false, null, true),
  OTHER(false, null, true);

  final boolean releaseAfterPrepare;
  final String readOnlyQuery;
  final boolean recoverBeforeXidCall;

  XaDialect(boolean releaseAfterPrepare, String readOnlyQuery, boolean recoverBeforeXidCall) {
    this.releaseAfterPrepare = releaseAfterPrepare;
    this.readOnlyQuery = readOnlyQuery;
    this.recoverBeforeXidCall = recoverBeforeXidCall;
  }

  static XaDialect of(Connection connection) throws SQLException {
    String product = connection.getMetaData().getDatabaseProductName();
    if ("PostgreSQL".equalsIgnoreCase(product)) {
      return POSTGRESQL;
    }
    if ("H2".equalsIgnoreCase(product)) {
      return H2;
    }
    return OTHER;
  }

  /** The dialect of one adapter's database, recognised from the first connection it leases. */
  static final class Detected {
    private volatile XaDialect dialect;

    XaDialect of(XaConnections.Lease lease) throws SQLException {
      XaDialect d = dialect;
      if (d == null) {
        d = XaDialect.of(lease.connection());
        dialect = d;
      }
      return d;
    }

    /** What is known so far ({@link #OTHER} before any connection was leased). */
    XaDialect get() {
      XaDialect d = dialect;
      return d == null ? OTHER : d;
    }
  }
}
