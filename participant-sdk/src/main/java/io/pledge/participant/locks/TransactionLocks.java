package io.pledge.participant.locks;

import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockHandle;
import io.pledge.participant.spi.LeaseCheck;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks what a transaction touches through the Pledge lock service, with the transaction id as owner, and tells
 * the participant at prepare whether every lease survived ({@link LeaseCheck}).
 *
 * <p>Each lock is renewed automatically while the branch lives; a renewal that fails (the lease ran out, the
 * service refused) marks the transaction, and its prepare votes no. Nothing is released here: the coordinator
 * releases every lock of the transaction at END ({@code ReleaseAll(owner = tx id)}), so a lock outlives the branch
 * until the outcome is known everywhere. When the branch is final here, renewal stops.
 *
 * <pre>{@code
 * TransactionLocks locks = new TransactionLocks(lockClient, Duration.ofSeconds(30));
 * ParticipantNode node = ParticipantNode.builder(vertx, options).leases(locks)...;
 * // inside the service's work for a transaction:
 * locks.exclusive(txId, "account:" + accountId).compose(handle -> update(..., handle.token()));
 * }</pre>
 *
 * <p>Thread-safe; never blocks.
 */
public final class TransactionLocks implements LeaseCheck {

  private static final Logger LOG = LoggerFactory.getLogger(TransactionLocks.class);

  private final LockClient client;
  private final Duration lease;
  private final Map<String, List<LockHandle>> held = new ConcurrentHashMap<>();
  private final Map<String, String> lost = new ConcurrentHashMap<>();
  /** Transactions that voted yes here: a lease lost now no longer changes their vote. */
  private final java.util.Set<String> voted = ConcurrentHashMap.newKeySet();
  /**
   * Transactions whose branch ended here, newest last, bounded: a grant that arrives after its transaction ended
   * (the wait outlived a rollback) is released at once instead of being renewed for nobody. Guarded by {@link #held}
   * together with the grants, so that an end and a late grant cannot cross.
   */
  private final java.util.Set<String> ended = java.util.Collections.newSetFromMap(
      new java.util.LinkedHashMap<String, Boolean>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > MAX_ENDED;
        }
      });

  /** Ended transactions remembered for late grants; a grant later than that many endings is not expected. */
  static final int MAX_ENDED = 100_000;

  public TransactionLocks(LockClient client, Duration lease) {
    if (lease.isZero() || lease.isNegative()) {
      throw new IllegalArgumentException("lease must be positive");
    }
    this.client = client;
    this.lease = lease;
  }

  /** Waits (FIFO, up to {@code maxWait}) for an exclusive lock owned by the transaction. */
  public Future<LockHandle> exclusive(String txId, String lock, Duration maxWait) {
    return acquire(LockClient.Request.exclusive(lock, txId, lease).waitingUpTo(maxWait), txId);
  }

  public Future<LockHandle> exclusive(String txId, String lock) {
    return exclusive(txId, lock, Duration.ofSeconds(10));
  }

  /** Waits (FIFO, up to {@code maxWait}) for a shared lock owned by the transaction. */
  public Future<LockHandle> shared(String txId, String lock, Duration maxWait) {
    return acquire(LockClient.Request.exclusive(lock, txId, lease).shared().waitingUpTo(maxWait), txId);
  }

  private Future<LockHandle> acquire(LockClient.Request request, String txId) {
    LockClient.Request renewing = request.autoRenew((handle, failure) -> {
      boolean over;
      synchronized (held) {
        // A lock that is gone is no longer ours to renew or count.
        held.computeIfPresent(txId, (k, list) -> {
          list.remove(handle);
          return list.isEmpty() ? null : list;
        });
        over = ended.contains(txId);
      }
      if (over) {
        return; // the branch already ended: nothing depends on this lease any more
      }
      if (voted.contains(txId)) {
        // The yes vote is out: the outcome is the coordinator's and stands. What the lost lease means now is that
        // the lock may be granted to another owner before this branch finishes (isolation, not atomicity).
        LOG.atWarn().addKeyValue("txId", txId).addKeyValue("lock", handle.lock())
            .log("lease lost after this participant voted yes: the transaction's outcome is unchanged, but another"
                + " owner may now be granted the lock before the outcome reaches this branch: {}",
                failure.getMessage());
        return;
      }
      lost.putIfAbsent(txId, "lock " + handle.lock() + ": " + failure.getMessage());
      LOG.atWarn().addKeyValue("txId", txId).addKeyValue("lock", handle.lock())
          .log("lease lost before the vote; the transaction will vote no: {}", failure.getMessage());
    });
    return client.acquire(renewing).onSuccess(handle -> {
      boolean late;
      synchronized (held) {
        late = ended.contains(txId);
        if (!late) {
          held.computeIfAbsent(txId, k -> new CopyOnWriteArrayList<>()).add(handle);
        }
      }
      if (late) {
        // Granted after the branch ended (its wait outlived a rollback): a finished transaction's lock must not
        // outlive it, so it goes back now.
        LOG.atInfo().addKeyValue("txId", txId).addKeyValue("lock", handle.lock())
            .log("lock granted after the transaction ended here: released at once");
        handle.close();
      }
    });
  }

  @Override
  public Future<Optional<String>> lostLease(String txId) {
    return Future.succeededFuture(Optional.ofNullable(lost.get(txId)));
  }

  @Override
  public void prepared(String txId) {
    voted.add(txId);
  }

  @Override
  public void finished(String txId) {
    voted.remove(txId);
    List<LockHandle> handles;
    synchronized (held) {
      ended.add(txId);
      handles = held.remove(txId);
    }
    if (handles != null) {
      handles.forEach(LockHandle::stopRenewing);
    }
    lost.remove(txId);
  }

  /** Transactions whose locks are being renewed here. */
  public int transactions() {
    return held.size();
  }
}
