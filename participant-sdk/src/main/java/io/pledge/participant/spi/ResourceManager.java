package io.pledge.participant.spi;

import io.vertx.core.Future;
import java.util.Set;

/**
 * A resource (a database, a queue, an in-memory table) that joins Pledge transactions through a participant
 * endpoint. The endpoint calls it; the service's own code does the work for a transaction in between.
 *
 * <p>Contract:
 * <ul>
 *   <li>Threading: methods are called on the participant's event loop and must not block it; run blocking work
 *       (JDBC, XA) on a worker and return its future.</li>
 *   <li>Ordering: the endpoint never calls two methods for the same transaction at once, and never prepares a
 *       transaction it already finished (the barrier filters duplicates and reordered calls first).</li>
 *   <li>One-phase commit (a transaction with this participant alone) is prepare, a forced COMMITTING record,
 *       then commit: the participant decides, and must remember its decision across a crash.</li>
 *   <li>Durability: when {@link #prepare} completes with yes, the resource must be able to commit or roll back the
 *       branch even after a crash of this process ({@code kill -9}). The endpoint forces its own PREPARED record
 *       after that, and only then votes yes, unless the resource declares {@link #durablePrepare()}: then the
 *       resource's own prepared branch is the record, and the yes leaves without a write of the endpoint's.</li>
 *   <li>Idempotency: {@link #commit} and {@link #rollback} may be called again for a branch already finished, or
 *       after a restart for a branch the resource only knows from {@link #recover}; both then succeed without
 *       effect. {@link #rollback} of a transaction the resource never saw succeeds too.</li>
 * </ul>
 */
public interface ResourceManager {

  /** Makes the branch durable and votes; a failed future counts as a no vote. */
  Future<Vote> prepare(String txId);

  Future<Void> commit(String txId);

  Future<Void> rollback(String txId);

  /**
   * Transactions this resource holds prepared but whose outcome it does not know, found at start-up (for XA:
   * {@code XAResource.recover()}). The endpoint resolves them with the coordinator together with the branches of
   * its own log. The default knows none.
   */
  default Future<Set<String>> recover() {
    return Future.succeededFuture(Set.of());
  }

  /**
   * Whether this resource's prepare is itself the durable record of a yes vote, so that the endpoint need not force
   * one of its own. Declare it only when all of these hold:
   * <ul>
   *   <li>a yes from {@link #prepare} means the prepared branch is on stable storage (survives {@code kill -9} of
   *       this process and a power loss of the machine holding the resource);</li>
   *   <li>{@link #recover} lists every transaction this resource prepared and has not committed or rolled back,
   *       after any restart of this process (for XA: the branch's Xid carries the transaction id and the
   *       participant id, and the database lists it to the connecting role, which must therefore stay the same);</li>
   *   <li>{@link #commit} and {@link #rollback} by transaction id work on a branch known only from {@link #recover}
   *       and succeed without effect on one already finished (the contract above).</li>
   * </ul>
   * The endpoint then votes yes without forcing its PREPARED record; after a restart it adopts every branch
   * {@link #recover} lists as PREPARED and resolves it with the coordinator (never rolls it back on its own). A
   * phase-2 commit of a branch it has no trace of commits by id (the resource's commit may have finished before a
   * crash lost the endpoint's unforced COMMITTED record); a rollback of one goes to the resource by id too. One-phase
   * commit still forces its COMMITTING record: that is the participant's own decision, which no resource records.
   * The default (false) keeps the forced record.
   */
  default boolean durablePrepare() {
    return false;
  }

  /**
   * Proves at start-up that the resource can do what a yes vote promises (for XA: prepare and roll back a probe
   * branch). A failure stops the participant's start with the resource's own reason, instead of a first no vote
   * much later. The default checks nothing.
   */
  default Future<Void> startupCheck() {
    return Future.succeededFuture();
  }
}
