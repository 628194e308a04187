package io.pledge.common.durable;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * JDBC work run on a {@link DurableStore}'s writer thread, inside the batch's transaction. It must not commit,
 * roll back or close the connection; a thrown exception undoes this work only (not the rest of its batch).
 */
@FunctionalInterface
public interface StoreWork<T> {
  T run(Connection connection) throws SQLException;
}
