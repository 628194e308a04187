package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.sut.Node;
import java.util.List;

/**
 * The clients of one scenario: an {@link Operation} and the connections it uses. Every workload spreads its calls
 * over several HTTP/2 connections (one Vert.x gRPC client holds one per server), so that one connection's event
 * loop is not the harness's bottleneck.
 */
public interface Workload extends AutoCloseable {

  Operation operation();

  /** Nodes that live inside the client's own process (their syncs are reported with the system's); none by default. */
  default List<Node> nodes() {
    return List.of();
  }

  /** Counters the workload keeps itself (calls it made), read around the window like the system's probes. */
  default List<io.pledge.bench.sut.Probe> probes() {
    return List.of();
  }

  @Override
  void close();
}
