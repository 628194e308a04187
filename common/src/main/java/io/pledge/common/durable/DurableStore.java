package io.pledge.common.durable;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An H2 file database with one dedicated writer thread that group-commits: work submitted concurrently is run in
 * one JDBC transaction, committed once and, when any of it asked for {@link Durability#FORCED}, synced to the
 * device once. Every future completes only after its work reached the durability it asked for.
 *
 * <p>Why not H2's defaults: H2 delays writes ({@code WRITE_DELAY}, 500 ms) and never syncs on commit, so an
 * acknowledged commit can be lost to {@code kill -9} or a power loss. Here the database is opened with
 * {@code WRITE_DELAY=0} (each commit is written to the file, i.e. handed to the operating system: what survives
 * {@code kill -9}) and a forced batch ends with an {@code fdatasync} of the database file, which makes those same
 * bytes survive a power loss too. One sync serves the whole batch, which is what makes thousands of forced writes a
 * second possible on a disk that syncs a few thousand times a second.
 *
 * <p>The sync goes through a read-only descriptor of our own on the {@code .mv.db} file: on Linux, fsync and
 * fdatasync flush every dirty page of the file, whichever descriptor wrote it. H2's {@code CHECKPOINT SYNC} also
 * syncs, but writes a new chunk and the store header first: measured at 6.4 ms per batch against 1.6 ms for the
 * fdatasync under the same load, it capped the coordinator at a quarter of the throughput.
 *
 * <p>Commit delay: under load (the previous batch forced at least {@value #COMMIT_SIBLINGS} tasks) a batch with
 * forced work waits up to the store's commit delay for more work to join it before it commits, as PostgreSQL's
 * {@code commit_delay} with {@code commit_siblings} does. Fewer, larger batches cost fewer syncs and less H2 page
 * writing per task; a lone client, or a few, never wait. Zero turns it off.
 *
 * <p>Threading: {@link #submit} may be called from any thread and never blocks (the queue is unbounded; callers
 * bound their own concurrency). Futures complete on the writer thread: hop back to your own context before
 * touching state (Vert.x: {@code Future.fromCompletionStage(stage, context)}).
 *
 * <p>Compaction: H2's MVStore writes every commit as a new chunk and reclaims space only in its housekeeping, which
 * runs on its background writer thread; with {@code WRITE_DELAY=0} there is no such thread, so nothing is ever
 * reclaimed and the file grows by every chunk written (measured with the {@code 2p} bench at 64 clients: the
 * coordinator's log 540 MB after 140 s and still growing at 5 MB/s, for a few MB of rows). The writer therefore
 * compacts itself, between batches and when idle, at most once per {@link #COMPACT_EVERY}: H2 counts the dead pages,
 * frees chunks with none live once the retention time (45 s) is past, and rewrites the live pages of chunks that
 * are mostly dead, up to {@value #COMPACT_WRITE_BYTES} bytes a time. The file then stays about the chunks of the
 * retention time ({@code pledge_log_file_bytes}). It only moves pages; H2's own background thread does the same.
 *
 * <p>Crash recovery: {@link #open} first lets H2 scan the file for the newest complete version
 * ({@link H2Recovery}), because H2's own quick recovery can open an older one after a {@code kill -9} and lose
 * acknowledged, even synced, commits.
 *
 * <p>The schema is versioned with Flyway migrations from the classpath location given at {@link #open}.
 */
public final class DurableStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DurableStore.class);

  /**
   * Measured with the 2p bench (64 clients): no delay 2,508 committed/s at 0.084 coordinator syncs per transaction;
   * 1 ms 2,590/s at 0.067 with 10 % less CPU per transaction; 2.5 ms 2,387/s at 0.050 (docs/decisions.md).
   */
  public static final Duration DEFAULT_COMMIT_DELAY = Duration.ofMillis(1);
  /** Forced tasks in the previous batch from which the next one waits (PostgreSQL's {@code commit_siblings}). */
  static final int COMMIT_SIBLINGS = 5;
  /** How often the writer compacts the file (see the class comment). */
  static final Duration COMPACT_EVERY = Duration.ofSeconds(1);
  /** Chunks less full than this (percent of live bytes) have their live pages rewritten. */
  static final int COMPACT_FILL_RATE = 80;
  /** At most this much is rewritten per compaction. */
  static final int COMPACT_WRITE_BYTES = 4 << 20;

  private record Task<T>(Durability durability, StoreWork<T> work, CompletableFuture<T> future) {}

  /** Settles a task's future after its batch reached the durability it asked for. */
  private record Done(Task<Object> task, Object result, Throwable failure) {}

  private final String name;
  private final Connection connection;
  /** H2's store under the connection, for compaction (see the class comment). */
  private final org.h2.mvstore.MVStore mvStore;
  private final long compactEveryNanos;
  private long lastCompactNanos = System.nanoTime();
  private final java.nio.channels.FileChannel dataFile;
  private final BlockingQueue<Task<?>> queue = new LinkedBlockingQueue<>();
  private final int maxBatch;
  private final long commitDelayNanos;
  private int lastBatchForced;
  private final Thread writer;
  private final DistributionSummary batchSize;
  private final Timer syncLatency;
  private final Timer compactions;
  private final Counter syncs;
  private volatile boolean closed;

  private DurableStore(String name, Connection connection, java.nio.channels.FileChannel dataFile, int maxBatch,
      Duration commitDelay, Duration compactEvery, MeterRegistry registry) throws SQLException {
    this.name = name;
    this.connection = connection;
    this.mvStore = ((org.h2.engine.SessionLocal) connection.unwrap(org.h2.jdbc.JdbcConnection.class).getSession())
        .getDatabase().getStore().getMvStore();
    this.compactEveryNanos = compactEvery.toNanos();
    this.dataFile = dataFile;
    Gauge.builder("pledge.log.file", dataFile, DurableStore::sizeOf).baseUnit("bytes")
        .description("Size of the log's database file").tag("log", name).register(registry);
    this.maxBatch = maxBatch;
    this.commitDelayNanos = commitDelay.toNanos();
    Gauge.builder("pledge.log.queued", queue, BlockingQueue::size).description("Work waiting for the log writer")
        .tag("log", name).register(registry);
    this.batchSize = DistributionSummary.builder("pledge.log.batch.size")
        .description("Records committed together in one group-commit batch")
        .tag("log", name).publishPercentiles(0.5, 0.99).register(registry);
    this.syncLatency = Timer.builder("pledge.log.sync.latency")
        .description("Time to sync one forced batch to the device (after its commit)")
        .tag("log", name).publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
    this.compactions = Timer.builder("pledge.log.compaction")
        .description("Time the writer spent compacting the file (once a second at most, between batches)")
        .tag("log", name).publishPercentiles(0.5, 0.99).register(registry);
    this.syncs = Counter.builder("pledge.log.syncs").description("Device syncs (one per forced batch)")
        .tag("log", name).register(registry);
    this.writer = new Thread(this::runWriter, "pledge-" + name + "-writer");
    this.writer.setDaemon(true);
  }

  /**
   * Opens (creating if needed) the database {@code file} (without H2's {@code .mv.db} suffix), migrates its schema
   * with the Flyway scripts at {@code migrations} (e.g. {@code classpath:db/coordinator}) and starts the writer.
   */
  public static DurableStore open(Path file, String name, String migrations, int maxBatch, Duration commitDelay,
      MeterRegistry registry) throws SQLException {
    return open(file, name, migrations, maxBatch, commitDelay, COMPACT_EVERY, registry);
  }

  /** {@link #open(Path, String, String, int, Duration, MeterRegistry)} compacting every {@code compactEvery}. */
  static DurableStore open(Path file, String name, String migrations, int maxBatch, Duration commitDelay,
      Duration compactEvery, MeterRegistry registry) throws SQLException {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be positive");
    }
    if (commitDelay.isNegative()) {
      throw new IllegalArgumentException("commitDelay must not be negative");
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
    } catch (java.io.IOException e) {
      throw new SQLException("cannot create directory for " + file + ": " + e.getMessage(), e);
    }
    // WRITE_DELAY=0: a commit is written to the file (the OS) at once; the sync is ours (see forceSync).
    // QUERY_CACHE_SIZE: the writer prepares every statement afresh per task; H2's default cache of 8 parsed
    // statements per session is smaller than a log's set of statements, and parsing showed in profiles.
    // Before anything reads the file: H2's quick crash recovery may open an older version (see H2Recovery).
    H2Recovery.recover(file);
    String url = "jdbc:h2:file:" + file.toAbsolutePath()
        + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64";
    Flyway.configure().dataSource(url, "sa", "").locations(migrations).load().migrate();
    Connection connection = DriverManager.getConnection(url, "sa", "");
    connection.setAutoCommit(false);
    java.nio.channels.FileChannel dataFile;
    try {
      dataFile = java.nio.channels.FileChannel.open(Path.of(file.toAbsolutePath() + ".mv.db"),
          java.nio.file.StandardOpenOption.READ);
    } catch (java.io.IOException e) {
      connection.close();
      throw new SQLException("cannot open " + file + ".mv.db for syncing: " + e.getMessage(), e);
    }
    DurableStore store;
    try {
      store = new DurableStore(name, connection, dataFile, maxBatch, commitDelay, compactEvery, registry);
    } catch (SQLException | RuntimeException e) {
      connection.close();
      try {
        dataFile.close();
      } catch (java.io.IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    store.writer.start();
    return store;
  }

  /** Queues {@code work}; the future completes once it ran and reached {@code durability}, or fails with its error. */
  public <T> CompletableFuture<T> submit(Durability durability, StoreWork<T> work) {
    CompletableFuture<T> future = new CompletableFuture<>();
    if (closed) {
      future.completeExceptionally(new IllegalStateException("store " + name + " is closed"));
      return future;
    }
    queue.add(new Task<>(durability, work, future));
    return future;
  }

  private void runWriter() {
    List<Task<?>> batch = new ArrayList<>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Task<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          maybeCompact();
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        if (lastBatchForced >= COMMIT_SIBLINGS) {
          awaitMore(batch);
        }
        lastBatchForced = (int) batch.stream().filter(t -> t.durability() == Durability.FORCED).count();
        runBatch(batch);
        maybeCompact();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException | Error e) {
        LOG.error("writer of store {} failed a batch", name, e);
        batch.forEach(t -> t.future().completeExceptionally(e));
      } finally {
        batch.clear();
      }
    }
    queue.forEach(t -> t.future().completeExceptionally(new IllegalStateException("store " + name + " closed")));
  }

  /**
   * Compacts the file if the last compaction is {@link #COMPACT_EVERY} ago (see the class comment). Between batches:
   * no JDBC transaction of ours is open. A failure is logged and leaves the data as it was: compaction only moves
   * pages, and the next one tries again.
   */
  private void maybeCompact() {
    long now = System.nanoTime();
    if (now - lastCompactNanos < compactEveryNanos) {
      return;
    }
    lastCompactNanos = now;
    try {
      mvStore.compact(COMPACT_FILL_RATE, COMPACT_WRITE_BYTES);
      compactions.record(System.nanoTime() - now, TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      LOG.warn("store {}: compacting the file failed (it is tried again in {})", name, COMPACT_EVERY, e);
    }
  }

  private static double sizeOf(java.nio.channels.FileChannel file) {
    try {
      return file.isOpen() ? file.size() : Double.NaN;
    } catch (java.io.IOException e) {
      return Double.NaN;
    }
  }

  /** The commit delay: lets more work join a batch that has a sync to share, until it is full or the delay is up. */
  private void awaitMore(List<Task<?>> batch) throws InterruptedException {
    if (commitDelayNanos == 0 || batch.stream().noneMatch(t -> t.durability() == Durability.FORCED)) {
      return;
    }
    long deadline = System.nanoTime() + commitDelayNanos;
    while (batch.size() < maxBatch) {
      Task<?> next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (next == null) {
        return;
      }
      batch.add(next);
      queue.drainTo(batch, maxBatch - batch.size());
    }
  }

  /**
   * Runs a batch as one JDBC transaction. First without savepoints: H2 parses a fresh {@code SAVEPOINT} statement
   * for each one, a measurable share of the writer's time when every task had its own. Only when a task fails is
   * the batch rolled back and run again with a savepoint around each task, so that the failing work alone is lost
   * (hence {@link StoreWork} must have no effect outside its connection: it may run twice).
   */
  private void runBatch(List<Task<?>> batch) {
    List<Done> done = new ArrayList<>(batch.size());
    try {
      if (!runAll(batch, done, false)) {
        connection.rollback();
        done.clear();
        runAll(batch, done, true);
      }
    } catch (SQLException e) {
      // A savepoint or the rollback itself failed: the connection is unusable for this batch.
      failAll(batch, e);
      return;
    }
    boolean write = false;
    boolean force = false;
    for (Done d : done) {
      if (d.failure() == null) {
        write |= d.task().durability() != Durability.NONE;
        force |= d.task().durability() == Durability.FORCED;
      }
    }
    try {
      if (write) {
        connection.commit();
        if (force) {
          long start = System.nanoTime();
          forceSync();
          syncs.increment();
          syncLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
      } else {
        connection.rollback();
      }
    } catch (SQLException e) {
      LOG.error("store {} could not commit a batch of {}", name, batch.size(), e);
      failAll(batch, e);
      return;
    }
    batchSize.record(batch.size());
    for (Done d : done) {
      if (d.failure() == null) {
        d.task().future().complete(d.result());
      } else {
        d.task().future().completeExceptionally(d.failure());
      }
    }
  }

  /**
   * Runs every task into {@code done}. Without savepoints, stops at the first failure and answers false (the
   * caller rolls back); with them, undoes a failing task's work only and always answers true.
   */
  @SuppressWarnings("unchecked")
  private boolean runAll(List<Task<?>> batch, List<Done> done, boolean savepoints) throws SQLException {
    for (Task<?> t : batch) {
      Task<Object> task = (Task<Object>) t;
      Savepoint savepoint = savepoints ? connection.setSavepoint() : null;
      try {
        done.add(new Done(task, task.work().run(connection), null));
      } catch (SQLException | RuntimeException e) {
        if (savepoint == null) {
          return false;
        }
        connection.rollback(savepoint);
        done.add(new Done(task, null, e));
      }
    }
    return true;
  }

  private void forceSync() throws SQLException {
    try {
      dataFile.force(false);
    } catch (java.io.IOException e) {
      throw new SQLException("sync of " + name + " failed: " + e.getMessage(), e);
    }
  }

  private void failAll(List<Task<?>> batch, SQLException e) {
    try {
      connection.rollback();
    } catch (SQLException suppressed) {
      e.addSuppressed(suppressed);
    }
    batch.forEach(t -> t.future().completeExceptionally(e));
  }

  /** Finishes queued work, then closes the database cleanly. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
      connection.close();
      dataFile.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException | java.io.IOException e) {
      LOG.warn("closing store {}", name, e);
    }
  }

  public String name() {
    return name;
  }
}
