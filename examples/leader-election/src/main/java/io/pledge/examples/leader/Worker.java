package io.pledge.examples.leader;

import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockException;
import io.pledge.lock.client.LockHandle;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One candidate: waits in the lock service's queue for the leader lock, and while it holds it appends to the ledger
 * every {@code write-every} with its fencing token. It stops leading when a renewal of its lease fails or when the
 * ledger rejects its token, and queues again.
 *
 * <p>Between two writes it checks whether a renewal has failed, but not right before a write: a process can always be
 * paused between such a check and the write it guards (a GC pause, {@code SIGSTOP}, a slow network), so a check would
 * only narrow the window. The ledger's fencing check is what closes it; the demo freezes a leader to show that.
 *
 * <p>Runs on the calling thread (blocking lock calls, never on an event loop).
 */
final class Worker {

  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
  private static final long RETRY_MS = 1_000;

  private final WorkerOptions options;
  private final String owner;
  private final LockClient locks;
  private final LedgerClient ledger;
  private final Consumer<String> out;
  private volatile boolean stopping;

  /**
   * @param owner the lock owner: unique per process, so that two processes started with the same id never share a
   *     (reentrant) grant
   * @param out where the event lines go
   */
  Worker(WorkerOptions options, String owner, LockClient locks, LedgerClient ledger, Consumer<String> out) {
    this.options = options;
    this.owner = owner;
    this.locks = locks;
    this.ledger = ledger;
    this.out = out;
  }

  /** Competes for leadership until {@link #stop()}. */
  void run() throws InterruptedException {
    while (!stopping) {
      AtomicReference<String> lost = new AtomicReference<>();
      LockHandle handle = awaitLeadership(lost);
      if (handle != null) {
        lead(handle, lost);
      }
    }
  }

  /** Makes {@link #run()} return soon; the caller releases the owner's locks and waits ({@code ReleaseAll}). */
  void stop() {
    stopping = true;
  }

  String owner() {
    return owner;
  }

  private LockHandle awaitLeadership(AtomicReference<String> lost) throws InterruptedException {
    LockClient.Request request = LockClient.Request.exclusive(options.lock(), owner, options.lease())
        .waitingUpTo(options.acquireWait())
        .autoRenew((h, e) -> lost.compareAndSet(null, "its lease could not be renewed (" + e.getMessage() + ")"));
    boolean queued = false;
    while (!stopping) {
      try {
        if (!queued) {
          try {
            return locks.tryAcquireBlocking(request);
          } catch (LockException.Busy busy) {
            emit(new WorkerEvent.Waiting(options.id()));
            queued = true;
          }
        }
        return locks.acquireBlocking(request);
      } catch (LockException.Timeout e) {
        LOG.atDebug().addKeyValue("owner", owner).log("still waiting for the leader lock");
      } catch (LockException e) {
        if (stopping) {
          return null;
        }
        LOG.atWarn().addKeyValue("owner", owner).log("lock service: {}; asking again in {} ms", e.getMessage(),
            RETRY_MS);
        TimeUnit.MILLISECONDS.sleep(RETRY_MS);
      }
    }
    return null;
  }

  private void lead(LockHandle handle, AtomicReference<String> lost) throws InterruptedException {
    long token = handle.token();
    emit(new WorkerEvent.Elected(options.id(), token));
    long seq = 1;
    long period = options.writeEvery().toNanos();
    long next = System.nanoTime();
    try {
      while (!stopping) {
        String reason = lost.get();
        if (reason != null) {
          emit(new WorkerEvent.Lost(options.id(), token, reason));
          return;
        }
        next += period;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        } else {
          next = System.nanoTime(); // behind (paused): no burst of catch-up writes
        }
        AppendResult result;
        try {
          result = ledger.append(new Write(options.id(), token, seq));
        } catch (IOException e) {
          LOG.atWarn().addKeyValue("owner", owner).log("ledger unreachable: {}", e.getMessage());
          continue;
        }
        if (result instanceof AppendResult.Accepted a) {
          emit(new WorkerEvent.Wrote(options.id(), a.entry().index(), token));
          seq++;
        } else if (result instanceof AppendResult.Stale s) {
          emit(new WorkerEvent.Lost(options.id(), token, "the ledger rejected its write (token " + token + " < "
              + s.highest() + ")"));
          return;
        }
      }
    } finally {
      handle.stopRenewing();
      try {
        handle.close(); // usually already gone (expired); a clean hand-over when we stop
      } catch (LockException e) {
        LOG.atDebug().addKeyValue("owner", owner).log("release: {}", e.getMessage());
      }
    }
  }

  private void emit(WorkerEvent event) {
    out.accept(event.line());
  }
}
