package io.pledge.common.durable;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * JDBC work run on a {@link DurableStore}'s writer thread, inside the batch's transaction. It must not commit,
 * roll back or close the connection; a thrown exception undoes this work only (not the rest of its batch). It may
 * run twice (after the batch was rolled back because another task failed), so it must have no effect outside its
 * connection: compute the result from what it reads and writes.
 */
@FunctionalInterface
public interface StoreWork<T> {
  T run(Connection connection) throws SQLException;
}
