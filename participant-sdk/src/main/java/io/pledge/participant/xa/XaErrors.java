package io.pledge.participant.xa;

import java.sql.SQLException;
import javax.transaction.xa.XAException;

/** How the adapter reads XA and JDBC failures: the database's own words, and what they prove. */
final class XaErrors {

  /** H2 reports an unknown branch as error code 0 with this SQL error (TRANSACTION_NOT_FOUND) as the cause. */
  private static final int H2_TRANSACTION_NOT_FOUND = 90129;

  private XaErrors() {}

  /**
   * "No such branch" from a commit or rollback on the Xid itself: the database's own answer that nothing is
   * prepared under it ({@code XAER_NOTA}; H2's 90129 as the cause).
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

  /**
   * The connection itself failed (closed, reset, the server shut down or crashed): retrying on it is pointless, a
   * fresh connection may succeed. SQLState class 08 is "connection exception", 57P0x the server's shutdown codes.
   */
  static boolean isConnectionFailure(Throwable e) {
    if (e instanceof XAException xa && xa.errorCode == XAException.XAER_RMFAIL) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null
          && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
        return true;
      }
    }
    return false;
  }

  /** The XA error code with every cause's message: the cause is what tells an operator what to fix. */
  static String describe(Throwable e) {
    StringBuilder text = new StringBuilder();
    if (e instanceof XAException xa) {
      text.append("XA error ").append(name(xa.errorCode));
      if (xa.getMessage() != null) {
        text.append(": ").append(xa.getMessage());
      }
    } else {
      text.append(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      String message = t.getMessage();
      if (message != null && text.indexOf(message) < 0) {
        text.append(" <- ").append(message);
        if (t instanceof SQLException sql && sql.getSQLState() != null) {
          text.append(" [SQLState ").append(sql.getSQLState()).append(']');
        }
      }
    }
    return text.toString().replace('\n', ' ');
  }

  private static String name(int code) {
    return switch (code) {
      case XAException.XAER_NOTA -> "XAER_NOTA";
      case XAException.XAER_RMFAIL -> "XAER_RMFAIL";
      case XAException.XAER_RMERR -> "XAER_RMERR";
      case XAException.XAER_PROTO -> "XAER_PROTO";
      case XAException.XAER_INVAL -> "XAER_INVAL";
      case XAException.XAER_DUPID -> "XAER_DUPID";
      case XAException.XAER_OUTSIDE -> "XAER_OUTSIDE";
      case XAException.XAER_ASYNC -> "XAER_ASYNC";
      default -> code >= XAException.XA_RBBASE && code <= XAException.XA_RBEND ? "XA_RB (" + code + ")"
          : String.valueOf(code);
    };
  }
}
