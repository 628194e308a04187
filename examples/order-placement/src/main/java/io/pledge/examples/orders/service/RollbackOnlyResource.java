package io.pledge.examples.orders.service;

import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Future;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * XA's "rollback-only" mark over a resource: a branch whose work the service refused (sold out, a short wallet, a
 * duplicate order, a row lock not granted) votes no at prepare, with the refusal as the reason.
 *
 * <p>Why: the client is told of the refusal and normally rolls back, but the whole order's atomicity must not rest
 * on the client doing so. A client that commits anyway (a bug, a retry after a lost answer) gets ABORTED from the
 * coordinator, naming this participant and the refusal, instead of an order committed without its reservation or
 * payment.
 *
 * <p>The XA adapter alone already votes no after work that failed; this mark adds the business reason, which the
 * coordinator relays to the client ("inventory refused: OUT_OF_STOCK: ..."), and counts the marked branches for the
 * service's state page.
 *
 * <p>The mark lives in memory. A restart of the service loses it together with the branch's unprepared work, and
 * the participant endpoint then votes no on its own (it has no trace of the branch).
 *
 * <p>Threading: marks are set from HTTP handlers and read by the participant endpoint, on different contexts.
 */
public final class RollbackOnlyResource implements ResourceManager {

  private final ResourceManager delegate;
  private final Map<String, String> rollbackOnly = new ConcurrentHashMap<>();

  public RollbackOnlyResource(ResourceManager delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** Marks the branch of {@code txId}: its prepare will vote no with {@code reason}. The first reason wins. */
  public void markRollbackOnly(String txId, String reason) {
    rollbackOnly.putIfAbsent(txId, reason);
  }

  /** Branches marked and not yet prepared or rolled back. */
  public int marked() {
    return rollbackOnly.size();
  }

  @Override
  public Future<Vote> prepare(String txId) {
    String reason = rollbackOnly.get(txId);
    // A no voter is rolled back by the endpoint right after (ResourceManager contract), which clears the mark.
    return reason == null ? delegate.prepare(txId) : Future.succeededFuture(Vote.no(reason));
  }

  @Override
  public Future<Void> commit(String txId) {
    rollbackOnly.remove(txId);
    return delegate.commit(txId);
  }

  @Override
  public Future<Void> rollback(String txId) {
    rollbackOnly.remove(txId);
    return delegate.rollback(txId);
  }

  @Override
  public Future<Set<String>> recover() {
    return delegate.recover();
  }

  /** As durable as what it wraps: the mark only ever turns a yes into a no, which needs no record. */
  @Override
  public boolean durablePrepare() {
    return delegate.durablePrepare();
  }
}
