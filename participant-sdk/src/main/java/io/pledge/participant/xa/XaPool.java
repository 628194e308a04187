package io.pledge.participant.xa;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionPoolConfiguration.ConnectionValidator;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.exceptionsorter.PostgreSQLExceptionSorter;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import io.agroal.api.transaction.TransactionAware;
import io.agroal.api.transaction.TransactionIntegration;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import javax.sql.XADataSource;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded pool of XA connections (Agroal): connections are opened once and reused by branch after branch, so a
 * transaction opens no physical connection at steady state. Every borrowed connection is validated first (after a
 * database restart the dead ones are dropped, not handed to a branch), a connection whose driver reported a fatal
 * error is closed instead of returned, and idle ones are checked in the background.
 *
 * <p>Agroal hands out the XA resource of a pooled connection only through its transaction integration hook; this
 * pool supplies a hook that never joins a JTA transaction (Pledge drives the XA calls itself) and only captures the
 * connection's XA resource for the lease being taken.
 *
 * <pre>{@code
 * XaPool pool = XaPool.create(new XaPool.Settings(PGXADataSource.class, "jdbc:postgresql://db/bank", "app", secret,
 *     32, Duration.ofSeconds(10), Map.of()));
 * }</pre>
 */
public final class XaPool implements XaConnections {

  private static final Logger LOG = LoggerFactory.getLogger(XaPool.class);

  /**
   * @param dataSourceClass the driver's XADataSource ({@code org.postgresql.xa.PGXADataSource},
   *     {@code org.h2.jdbcx.JdbcDataSource}, ...)
   * @param url JDBC URL
   * @param maxSize most physical connections: branches being worked for or waiting for phase 2 hold one each
   * @param acquisitionTimeout how long a lease waits for a free connection before it fails
   * @param properties further driver properties (set on the XADataSource by name)
   */
  public record Settings(Class<? extends XADataSource> dataSourceClass, String url, String user, String password,
      int maxSize, Duration acquisitionTimeout, Map<String, String> properties) {

    public static final int DEFAULT_MAX_SIZE = 32;
    public static final Duration DEFAULT_ACQUISITION_TIMEOUT = Duration.ofSeconds(10);

    public Settings {
      Objects.requireNonNull(dataSourceClass, "dataSourceClass");
      Objects.requireNonNull(url, "url");
      if (maxSize < 2) {
        throw new IllegalArgumentException("an XA pool needs at least 2 connections, got " + maxSize);
      }
      if (acquisitionTimeout.isNegative() || acquisitionTimeout.isZero()) {
        throw new IllegalArgumentException("acquisitionTimeout must be positive");
      }
      properties = Map.copyOf(properties);
    }

    public Settings(Class<? extends XADataSource> dataSourceClass, String url, String user, String password) {
      this(dataSourceClass, url, user, password, DEFAULT_MAX_SIZE, DEFAULT_ACQUISITION_TIMEOUT, Map.of());
    }

    public Settings withMaxSize(int size) {
      return new Settings(dataSourceClass, url, user, password, size, acquisitionTimeout, properties);
    }
  }

  /** What the integration hook captured while Agroal handed out a connection on this thread. */
  private static final class Captured {
    TransactionAware handler;
    XAResource resource;
  }

  private final ThreadLocal<Captured> capture = new ThreadLocal<>();
  private final AgroalDataSource pool;
  private final int maxSize;

  private XaPool(Settings settings) throws SQLException {
    this.maxSize = settings.maxSize();
    boolean postgres = settings.url().startsWith("jdbc:postgresql:");
    AgroalDataSourceConfigurationSupplier config = new AgroalDataSourceConfigurationSupplier()
        .metricsEnabled(true)
        .connectionPoolConfiguration(cp -> {
          cp.minSize(0).initialSize(0).maxSize(settings.maxSize())
              .acquisitionTimeout(settings.acquisitionTimeout())
              .validateOnBorrow(true)
              .connectionValidator(ConnectionValidator.defaultValidator())
              .idleValidationTimeout(Duration.ofSeconds(30))
              .reapTimeout(Duration.ofMinutes(10))
              .transactionIntegration(new CapturingIntegration());
          if (postgres) {
            cp.exceptionSorter(new PostgreSQLExceptionSorter());
          }
          return cp.connectionFactoryConfiguration(cf -> {
            cf.connectionProviderClass(settings.dataSourceClass()).jdbcUrl(settings.url()).autoCommit(true);
            if (settings.user() != null) {
              cf.principal(new NamePrincipal(settings.user()));
            }
            if (settings.password() != null) {
              cf.credential(new SimplePassword(settings.password()));
            }
            settings.properties().forEach(cf::jdbcProperty);
            return cf;
          });
        });
    this.pool = AgroalDataSource.from(config);
  }

  public static XaPool create(Settings settings) {
    try {
      return new XaPool(settings);
    } catch (SQLException e) {
      throw new IllegalArgumentException("cannot configure the XA pool for " + settings.url() + ": "
          + XaErrors.describe(e), e);
    }
  }

  @Override
  public Lease lease() throws SQLException {
    Captured captured = new Captured();
    capture.set(captured);
    Connection connection;
    try {
      connection = pool.getConnection();
    } finally {
      capture.remove();
    }
    if (captured.resource == null) {
      connection.close();
      throw new SQLException("the pooled connection is not XA-capable: configure an XADataSource class");
    }
    return new PooledLease(connection, captured.resource, captured.handler);
  }

  @Override
  public int capacity() {
    return maxSize;
  }

  @Override
  public long opened() {
    return pool.getMetrics().creationCount();
  }

  /** Connections open now (in use and idle). */
  public long open() {
    return pool.getMetrics().activeCount() + pool.getMetrics().availableCount();
  }

  @Override
  public void close() {
    pool.close();
  }

  private static final class PooledLease implements Lease {
    private final Connection connection;
    private final XAResource resource;
    private final TransactionAware handler;

    PooledLease(Connection connection, XAResource resource, TransactionAware handler) {
      this.connection = connection;
      this.resource = resource;
      this.handler = handler;
    }

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
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.atWarn().addKeyValue("error", e.getMessage()).log("returning an XA connection to the pool failed");
      }
    }

    @Override
    public void discard() {
      handler.setFlushOnly();
      release();
    }

    @Override
    public void abort() {
      handler.setFlushOnly();
      try {
        // Agroal's own abort() only detaches its wrapper; the driver's connection is what must close.
        connection.unwrap(Connection.class).abort(Runnable::run);
      } catch (SQLException | RuntimeException e) {
        LOG.atDebug().addKeyValue("error", e.getMessage()).log("aborting an XA connection failed");
      }
    }
  }

  /** Never part of a JTA transaction: only remembers which XA resource the pool handed out on this thread. */
  private final class CapturingIntegration implements TransactionIntegration {
    @Override
    public TransactionAware getTransactionAware() {
      return null;
    }

    @Override
    public void associate(TransactionAware aware, XAResource xaResource) {
      Captured captured = capture.get();
      if (captured != null) {
        captured.handler = aware;
        captured.resource = xaResource;
      }
    }

    @Override
    public boolean disassociate(TransactionAware aware) {
      return true;
    }

    @Override
    public void addResourceRecoveryFactory(ResourceRecoveryFactory factory) {}

    @Override
    public void removeResourceRecoveryFactory(ResourceRecoveryFactory factory) {}
  }
}
