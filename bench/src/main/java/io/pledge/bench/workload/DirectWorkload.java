package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.bench.v1.BenchWorkGrpcClient;
import io.pledge.bench.v1.WorkRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;

/**
 * Baseline (a), the machine's upper bound for this work: the same work calls without a transaction id, so each
 * participant commits locally with one forced write. No coordinator, no atomicity across participants.
 */
public final class DirectWorkload implements Workload {

  private final Clients<GrpcClient> work;
  private final List<SocketAddress> participants;

  public DirectWorkload(Vertx vertx, List<Endpoint> participants, int connections) {
    this.work = Clients.grpc(vertx, connections);
    this.participants = participants.stream().map(Endpoint::toSocketAddress).toList();
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      GrpcClient wc = work.pick(slot);
      WorkRequest request = WorkRequest.newBuilder().setKey("k" + slot).setDelta(1).build();
      return Future.all(participants.stream()
          .map(p -> Rpc.call(wc, p, BenchWorkGrpcClient.Work, request, PledgeWorkload.WORK_TIMEOUT))
          .toList()).map(Outcome.COMMITTED);
    };
  }

  @Override
  public void close() {
    work.all().forEach(GrpcClient::close);
  }
}
