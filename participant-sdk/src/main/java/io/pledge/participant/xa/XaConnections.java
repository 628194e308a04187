package io.pledge.participant.xa;

import java.sql.Connection;
import java.sql.SQLException;
import javax.transaction.xa.XAResource;

/**
 * Where the XA adapter gets its connections: {@link XaPool} (Agroal, bounded, validated: what production uses) or
 * {@link #unpooled} (one physical connection per lease, for tests and tools).
 *
 * <p>Threading: {@link #lease} blocks (it may open a connection or wait for a free one); call it on a worker.
 */
public interface XaConnections extends AutoCloseable {

  /** One XA-capable connection held by one branch or one recovery step, until {@link #release} or {@link #discard}. */
  interface Lease {
    /** The logical connection, taken once (H2 rolls back when a second one is taken). */
    Connection connection();

    XAResource resource();

    /** Gives the connection back for reuse: it must not be inside an XA branch any more. */
    void release();

    /** The connection is broken or was aborted: closes it instead of reusing it. */
    void discard();

    /** Closes the physical connection at once, from any thread: a statement blocked on it fails. */
    void abort();
  }

  Lease lease() throws SQLException;

  /** Most connections open at once ({@link Integer#MAX_VALUE} when unbounded). */
  int capacity();

  /** Physical connections opened so far (a pool opens few; {@link #unpooled} one per lease). */
  long opened();

  @Override
  void close();

  static XaConnections unpooled(javax.sql.XADataSource dataSource) {
    return new UnpooledXaConnections(dataSource);
  }
}
