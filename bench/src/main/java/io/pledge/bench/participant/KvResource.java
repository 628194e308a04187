package io.pledge.bench.participant;

import io.pledge.common.durable.Durability;
import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The bench participant's resource: a delta staged in memory at the work call, made durable at prepare by the
 * SDK's forced PREPARED record, and applied to the counter row at commit (written, not forced).
 *
 * <p>Not crash-safe on its own: the staged delta is not in the prepared record, so a participant killed while
 * prepared commits nothing at recovery. That is acceptable for a benchmark and keeps the cost of a branch equal to
 * what the SDK charges: one forced record at prepare, one written record at commit.
 */
final class KvResource implements ResourceManager {

  private record Staged(String key, long delta) {}

  private final Vertx vertx;
  private final KvStore store;
  private final double voteNo;
  private final Map<String, Staged> staged = new ConcurrentHashMap<>();

  /** @param voteNo probability of voting no at prepare (0..1) */
  KvResource(Vertx vertx, KvStore store, double voteNo) {
    this.vertx = vertx;
    this.store = store;
    this.voteNo = voteNo;
  }

  void stage(String txId, String key, long delta) {
    staged.merge(txId, new Staged(key, delta), (a, b) -> new Staged(a.key(), a.delta() + b.delta()));
  }

  @Override
  public Future<Vote> prepare(String txId) {
    if (!staged.containsKey(txId)) {
      return Future.succeededFuture(Vote.readOnly());
    }
    if (voteNo > 0 && ThreadLocalRandom.current().nextDouble() < voteNo) {
      staged.remove(txId);
      return Future.succeededFuture(Vote.no("bench: scripted no vote"));
    }
    return Future.succeededFuture(Vote.yes());
  }

  @Override
  public Future<Void> commit(String txId) {
    Staged s = staged.remove(txId);
    if (s == null) {
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(store.add(s.key(), s.delta(), Durability.WRITTEN), vertx.getOrCreateContext());
  }

  @Override
  public Future<Void> rollback(String txId) {
    staged.remove(txId);
    return Future.succeededFuture();
  }
}
