package io.pledge.bench.baseline;

import io.pledge.bench.participant.KvStore;
import io.pledge.common.durable.Durability;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * One participant's work as an in-process XA branch: "add delta to key", forced to the participant's own store at
 * prepare (the same cost as the participant SDK's forced PREPARED record), applied at commit (written), or applied
 * and forced at once on a one-phase commit. One instance per branch: Narayana enlists each as its own resource
 * manager.
 */
final class KvXaResource implements XAResource {

  private final KvStore store;
  private final String key;
  private final long delta;

  KvXaResource(KvStore store, String key, long delta) {
    this.store = store;
    this.key = key;
    this.delta = delta;
  }

  private static String id(Xid xid) {
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return b64.encodeToString(xid.getGlobalTransactionId()) + "." + b64.encodeToString(xid.getBranchQualifier());
  }

  @Override
  public int prepare(Xid xid) throws XAException {
    await(store.prepare(id(xid), key, delta));
    return XA_OK;
  }

  @Override
  public void commit(Xid xid, boolean onePhase) throws XAException {
    await(onePhase ? store.add(key, delta, Durability.FORCED) : store.commitPrepared(id(xid)));
  }

  @Override
  public void rollback(Xid xid) throws XAException {
    await(store.rollbackPrepared(id(xid)));
  }

  private static void await(CompletableFuture<?> f) throws XAException {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw (XAException) new XAException(XAException.XAER_RMFAIL).initCause(e);
    } catch (ExecutionException e) {
      throw (XAException) new XAException(XAException.XAER_RMERR).initCause(e.getCause());
    }
  }

  @Override
  public void start(Xid xid, int flags) {
    // The work is staged in this object; nothing to associate.
  }

  @Override
  public void end(Xid xid, int flags) {
    // Nothing to dissociate.
  }

  @Override
  public void forget(Xid xid) {
    // No heuristic decisions are ever taken here.
  }

  @Override
  public Xid[] recover(int flag) {
    return new Xid[0];
  }

  @Override
  public boolean isSameRM(XAResource other) {
    return other == this;
  }

  @Override
  public int getTransactionTimeout() {
    return 0;
  }

  @Override
  public boolean setTransactionTimeout(int seconds) {
    return false;
  }
}
