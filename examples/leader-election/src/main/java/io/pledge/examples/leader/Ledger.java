package io.pledge.examples.leader;

import io.pledge.lock.client.FencingTokenChecker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared resource the leader writes to: an append-only log that admits a write only if its fencing token is not
 * below the highest it has accepted ({@link FencingTokenChecker}). This is the check that makes leader election safe:
 * a leader paused past its lease (GC, SIGSTOP, a slow network) still believes it leads when it wakes up, and the lock
 * service cannot stop it; its next write carries the old token, and a newer leader's write has already raised the
 * highest token here (Kleppmann, "How to do distributed locking", 2016; Chubby's sequencers, Burrows 2006).
 *
 * <p>Threading: every append and read runs on one worker thread, so the fencing check and the insert of one write
 * happen together and in the order of the log; the event loop never touches JDBC. At open, the checker is seeded with
 * the highest token of the log, so a ledger restart does not forget who leads.
 */
public final class Ledger {

  private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);

  private final String lock;
  private final LedgerLog log;
  private final WorkerExecutor writer;
  private final FencingTokenChecker fence = new FencingTokenChecker();
  private final Consumer<Rejection> onRejected;

  private Ledger(String lock, LedgerLog log, WorkerExecutor writer, Consumer<Rejection> onRejected) {
    this.lock = lock;
    this.log = log;
    this.writer = writer;
    this.onRejected = onRejected;
  }

  /**
   * Opens (or creates) the ledger in {@code dir}.
   *
   * @param lock the name of the lock whose holders may write here (the key of the fencing check)
   * @param onRejected told of every stale write, on the writer thread
   */
  public static Future<Ledger> open(Vertx vertx, Path dir, String lock, Consumer<Rejection> onRejected) {
    WorkerExecutor writer = vertx.createSharedWorkerExecutor("ledger-writer-" + UUID.randomUUID(), 1);
    return writer.executeBlocking(() -> {
      Files.createDirectories(dir);
      LedgerLog log = LedgerLog.open(dir);
      Ledger ledger = new Ledger(lock, log, writer, onRejected);
      ledger.fence.admit(lock, log.highestToken());
      return ledger;
    }).onFailure(e -> writer.close());
  }

  /** Appends if the token passes the fencing check; otherwise records the rejection. */
  public Future<AppendResult> append(Write w) {
    return writer.executeBlocking(() -> {
      long now = System.currentTimeMillis();
      if (!fence.admit(lock, w.token())) {
        Rejection r = new Rejection(w.writer(), w.token(), w.seq(), fence.highest(lock), now);
        log.reject(r);
        LOG.atWarn().addKeyValue("writer", w.writer()).addKeyValue("token", w.token())
            .addKeyValue("highest", r.highest()).log("stale write rejected");
        onRejected.accept(r);
        return new AppendResult.Stale(w.token(), r.highest());
      }
      Entry e = log.append(w, now);
      LOG.atDebug().addKeyValue("writer", w.writer()).addKeyValue("token", w.token()).addKeyValue("index", e.index())
          .log("appended");
      return new AppendResult.Accepted(e);
    });
  }

  public Future<List<Entry>> entries() {
    return writer.executeBlocking(log::entries);
  }

  public Future<List<Rejection>> rejections() {
    return writer.executeBlocking(log::rejections);
  }

  /** The highest token accepted so far (0 before the first write). */
  public long highestToken() {
    return fence.highest(lock);
  }

  public String lock() {
    return lock;
  }

  public Future<Void> close() {
    return writer.<Void>executeBlocking(() -> {
      log.close();
      return null;
    }).eventually(writer::close);
  }
}
