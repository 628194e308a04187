package io.pledge.participant.xa;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A new physical XA connection per lease, closed at its end: no reuse, no bound. */
final class UnpooledXaConnections implements XaConnections {

  private static final Logger LOG = LoggerFactory.getLogger(UnpooledXaConnections.class);

  private final XADataSource dataSource;
  private final AtomicLong opened = new AtomicLong();

  UnpooledXaConnections(XADataSource dataSource) {
    this.dataSource = java.util.Objects.requireNonNull(dataSource, "dataSource");
  }

  @Override
  public Lease lease() throws SQLException {
    XAConnection xac = dataSource.getXAConnection();
    opened.incrementAndGet();
    try {
      Connection connection = xac.getConnection();
      XAResource resource = xac.getXAResource();
      return new Lease() {
        @Override
        public Connection connection() {
          return connection;
        }

        @Override
        public XAResource resource() {
          return resource;
        }

        @Override
        public void release() {
          close(xac);
        }

        @Override
        public void discard() {
          close(xac);
        }

        @Override
        public void abort() {
          try {
            connection.abort(Runnable::run);
          } catch (SQLException | RuntimeException e) {
            LOG.atDebug().addKeyValue("error", e.getMessage()).log("aborting an XA connection failed");
          }
        }
      };
    } catch (SQLException | RuntimeException e) {
      close(xac);
      throw e;
    }
  }

  private static void close(XAConnection xac) {
    try {
      xac.close();
    } catch (SQLException e) {
      LOG.atWarn().addKeyValue("error", e.getMessage()).log("closing an XA connection failed");
    }
  }

  @Override
  public int capacity() {
    return Integer.MAX_VALUE;
  }

  @Override
  public long opened() {
    return opened.get();
  }

  @Override
  public void close() {}
}
