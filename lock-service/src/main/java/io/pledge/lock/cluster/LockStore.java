package io.pledge.lock.cluster;

import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.WaitEdge;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where lock states live, in the lock table's terms: states, operations ({@link LockOp}) and their replies. Two
 * implementations: {@code HazelcastLockStore} (the cluster) and {@link InMemoryLockStore} (one process: the engine's
 * unit tests). Contract:
 * <ul>
 *   <li>{@link #apply} runs the operation atomically for that lock with the store's clock (in the cluster: on the
 *       member owning it, and completes once the new state is on the backups too); it never blocks the caller's
 *       thread and completes on the caller's context (the engine's when called from no context); a reply whose
 *       state the operation does not need may leave it out ({@link LockOp#needsState});</li>
 *   <li>{@link #onChange} delivers, in version order per lock and on the engine's context, every change whose new
 *       state concerns the given server's waits ({@link LockState#concernsWaits}): one of them is queued, or one of
 *       them left the queue in that change. Changes that concern nobody's waits (an uncontended lock) are delivered to
 *       nobody. Delivery is best effort across member failures (see {@link #onMembershipChange});</li>
 *   <li>failures with no quorum complete with {@link LockFailure.Kind#UNAVAILABLE}.</li>
 * </ul>
 */
public interface LockStore {

  Future<Reply> apply(String lock, LockOp op);

  /** The lock's stored state (empty for a lock never written); a plain read, no rule runs. */
  Future<LockState> read(String lock);

  /**
   * The locks the owner index lists for {@code owner} (one lookup, no scan of the locks): every lock it holds or
   * waits for whose grant or wait was recorded ({@link #markOwner}), and possibly locks it has left meanwhile (a
   * removal not yet done or lost: releasing them is a no-op). A lock whose record was lost is not listed; it ends with
   * its lease. See {@link io.pledge.lock.table.OwnerLocks}.
   */
  Future<Set<String>> locksOf(String owner);

  /**
   * Owner index: records that {@code owner} holds or waits for {@code lock} as of the lock state's {@code version},
   * until {@code until} (wall-clock ms) at the latest. Kept like the locks (surviving a member's loss the same way).
   */
  Future<Void> markOwner(String owner, String lock, long version, long until);

  /**
   * Owner index: forgets the given locks of {@code owner}, each unless it was recorded after the version given for it
   * (a later grant or wait). An owner left with nothing has no entry.
   */
  Future<Void> unmarkOwner(String owner, Map<String, Long> versions);

  /**
   * Up to {@code limit} locks that are held or awaited, named with {@code prefix}, after {@code after} (empty: from
   * the start) in name order; the stored states as they are (no rule runs, so an ended lease may still show).
   */
  Future<List<LockState>> list(String prefix, String after, int limit);

  /** Subscribes to the changes that concern the waits whose ids start with {@code waitIdPrefix}. */
  void onChange(String waitIdPrefix, Consumer<LockState> listener);

  /** Called after the cluster membership changed (events may have been lost with a member). */
  void onMembershipChange(Runnable listener);

  Future<Void> putEdge(WaitEdge edge, Duration ttl);

  Future<Void> removeEdge(String waitId);

  Future<Collection<WaitEdge>> edges();

  /** Holders and waiters of the locks whose partitions this member owns, or {@code [-1, -1]} in client mode. */
  long[] localCounts();
}
