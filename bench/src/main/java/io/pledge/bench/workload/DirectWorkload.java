package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.common.grpc.Endpoint;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;

/**
 * Baseline (a), the machine's upper bound for this work: the same work calls without a transaction id, so each
 * participant commits locally with one forced write. No coordinator, no atomicity across participants.
 */
public final class DirectWorkload implements Workload {

  private final WorkCalls work;

  public DirectWorkload(Vertx vertx, List<Endpoint> participants, int connections) {
    this.work = new WorkCalls(vertx, participants, connections);
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> work.onAll(slot, Map.of()).map(Outcome.COMMITTED);
  }

  @Override
  public void close() {
    work.close();
  }
}
