package io.pledge.bench.sut;

import io.pledge.bench.participant.BenchParticipantSettings;
import io.pledge.common.grpc.Endpoint;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Starts the servers of a system under test: as child JVMs ({@link ProcessLauncher}) or in the harness's own JVM
 * ({@link InProcessLauncher}). Starts are asynchronous so that independent servers start together.
 */
public interface Launcher extends AutoCloseable {

  /**
   * A server that runs: where to call it, what to measure, how to stop it.
   *
   * @param opsPort its plain-HTTP ops endpoint ({@code /metrics}), or -1 when it has none the harness may read
   */
  record Started(Endpoint endpoint, Node node, AutoCloseable stop, int opsPort) {
    public Started(Endpoint endpoint, Node node, AutoCloseable stop) {
      this(endpoint, node, stop, -1);
    }
  }

  default CompletableFuture<Started> lockService() {
    return lockService(Map.of());
  }

  /** A lock service with further settings (the {@code tls.*} keys, say). */
  CompletableFuture<Started> lockService(Map<String, String> settings);

  /** A coordinator; with {@code locks}, it releases every transaction's locks at END. */
  default CompletableFuture<Started> coordinator(Optional<Endpoint> locks) {
    return coordinator(locks, Map.of());
  }

  /** A coordinator with further settings (the {@code tls.*} keys, say). */
  CompletableFuture<Started> coordinator(Optional<Endpoint> locks, Map<String, String> settings);

  /** A coordinator cluster of {@code members} JVMs, once it has a leader; only where servers are processes. */
  default CompletableFuture<CoordinatorCluster> coordinatorCluster(int members, Map<String, String> settings) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("a coordinator cluster runs in separate"
        + " JVMs (its members are killed and restarted): not with --in-process"));
  }

  CompletableFuture<Started> participant(BenchParticipantSettings settings);

  CompletableFuture<Started> echoServer();

  /** What the report says about where the servers ran. */
  String description();

  @Override
  void close();
}
