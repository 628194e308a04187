package io.pledge.participant.spi;

import io.vertx.core.Future;
import java.util.Optional;

/**
 * The lock hook: consulted at prepare, before the resource prepares. If a lock the transaction holds through the
 * lock service lost its lease (a renewal failed, the lease expired), another owner may already hold it and the
 * isolation the transaction counted on is gone, so the participant votes no.
 *
 * <p>The SDK never releases locks: the coordinator releases everything the transaction owns at END. An adapter
 * for the Pledge lock client is {@link io.pledge.participant.locks.TransactionLocks}; {@link #NONE} is used when no
 * lock service is configured.
 *
 * <p>Threading: called on the participant's event loop; must not block.
 */
@FunctionalInterface
public interface LeaseCheck {

  /** Completes with the reason a lease of {@code txId} was lost, or empty when every lease is still held. */
  Future<Optional<String>> lostLease(String txId);

  /**
   * The branch of {@code txId} reached a final state here (committed, rolled back, read-only): stop watching its
   * leases. Releasing is still the coordinator's job.
   */
  default void finished(String txId) {}

  /**
   * The branch of {@code txId} voted yes here: from now on a lost lease no longer changes the vote (the outcome is
   * the coordinator's), it only means that another owner may be granted the lock before this branch finishes.
   */
  default void prepared(String txId) {}

  LeaseCheck NONE = txId -> Future.succeededFuture(Optional.empty());
}
