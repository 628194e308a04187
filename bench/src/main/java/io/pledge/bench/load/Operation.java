package io.pledge.bench.load;

import io.vertx.core.Future;

/**
 * One unit of load (a transaction, a lock pair, an echo). Must not block the calling thread: the driver calls it on
 * a Vert.x event loop; blocking work (Narayana) runs on its own threads and completes the future from there.
 */
@FunctionalInterface
public interface Operation {

  /**
   * @param seq a number unique to this operation
   * @param slot the client running it, 0..concurrency-1 (closed loop), or {@code seq % concurrency} (open loop):
   *     what a workload uses to give each client its own keys
   */
  Future<Outcome> run(long seq, int slot);
}
