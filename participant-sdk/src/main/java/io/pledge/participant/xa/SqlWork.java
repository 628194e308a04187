package io.pledge.participant.xa;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * JDBC work for a transaction, run on a worker thread with the branch's connection. It must not commit, roll back
 * or close the connection: the transaction's outcome decides.
 */
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection connection) throws SQLException;
}
