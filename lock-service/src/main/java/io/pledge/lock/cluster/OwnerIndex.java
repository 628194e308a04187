package io.pledge.lock.cluster;

import io.pledge.lock.metrics.LockMetrics;
import io.pledge.lock.table.Reply;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the owner index ({@link io.pledge.lock.table.OwnerLocks}, in the store) from the replies of the lock
 * operations, so that ReleaseAll looks an owner's locks up instead of scanning every lock. The index is written after
 * the lock's entry processor has answered, and before the caller is answered: the two maps are not updated
 * atomically (a lock and its owner's entry live in different partitions). What that allows, and why it is safe:
 * <ul>
 *   <li><b>A lock the index misses</b> is not released by ReleaseAll and ends with its lease, as a lock acquired
 *       while the scan ran did before. It happens when the index write fails or is lost (no quorum at that instant, or
 *       the server crashes between the grant and the write: its caller then has no answer either), when an acquire
 *       is granted after ReleaseAll has read the index (an owner that still acquires while it is released: the race
 *       the scan had too), and when a removal for an earlier grant of the same owner overtakes the record of a later
 *       one and the versions cannot tell them apart (only after the lock's state was lost with all its replicas).</li>
 *   <li><b>An entry for a lock the owner has left</b> (its removal failed or has not arrived; the owner's lease
 *       ended with nobody touching the lock) costs ReleaseAll one idempotent no-op, and it expires by itself at
 *       the lease end plus {@link #MARGIN}.</li>
 *   <li>ReleaseAll never releases anything the owner does not hold: the index only says where to look; the lock's
 *       own processor decides, from the lock's state, exactly as before.</li>
 * </ul>
 * A failed index write never fails the lock operation (the grant stands, the lease covers it); it is logged and
 * counted ({@code pledge_lock_owner_index_failures_total}).
 */
final class OwnerIndex {

  private static final Logger LOG = LoggerFactory.getLogger(OwnerIndex.class);
  /** Added to every item's time: member clocks differ a little, and an item that ends too early is a miss. */
  static final long MARGIN = Duration.ofSeconds(2).toMillis();

  private final LockStore store;
  private final LockMetrics metrics;

  OwnerIndex(LockStore store, LockMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  /**
   * Follows where {@code owner} stands on {@code lock} after an operation: records it if it holds or waits for the
   * lock (a wait until {@code waitEndsAt}, wall-clock ms: its deadline plus its lease), forgets it if neither.
   * Always succeeds.
   */
  Future<Void> follow(String lock, String owner, Reply reply, long waitEndsAt) {
    long until = reply.ownerUntil();
    if (until == Reply.UNKNOWN || reply.version() < 0) {
      return Future.succeededFuture();
    }
    if (until == 0) {
      return settle(store.unmarkOwner(owner, Map.of(lock, reply.version())), owner, lock);
    }
    long end = until == Reply.WAITING ? waitEndsAt : until;
    return settle(store.markOwner(owner, lock, reply.version(), end + MARGIN), owner, lock);
  }

  /** Forgets the locks ReleaseAll released, each as of the version its release wrote. Always succeeds. */
  Future<Void> released(String owner, Map<String, Long> versions) {
    if (versions.isEmpty()) {
      return Future.succeededFuture();
    }
    return settle(store.unmarkOwner(owner, versions), owner, versions.keySet().toString());
  }

  private Future<Void> settle(Future<Void> write, String owner, String lock) {
    return write.recover(e -> {
      metrics.ownerIndexFailed();
      LOG.atWarn().addKeyValue("owner", owner).addKeyValue("lock", lock)
          .log("owner index not updated ({}); ReleaseAll may leave this lock to its lease", e.getMessage());
      return Future.succeededFuture();
    });
  }
}
