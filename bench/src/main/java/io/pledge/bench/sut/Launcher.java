package io.pledge.bench.sut;

import io.pledge.bench.participant.BenchParticipantSettings;
import io.pledge.common.grpc.Endpoint;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Starts the servers of a system under test: as child JVMs ({@link ProcessLauncher}) or in the harness's own JVM
 * ({@link InProcessLauncher}). Starts are asynchronous so that independent servers start together.
 */
public interface Launcher extends AutoCloseable {

  /** A server that runs: where to call it, what to measure, how to stop it. */
  record Started(Endpoint endpoint, Node node, AutoCloseable stop) {}

  CompletableFuture<Started> lockService();

  /** A coordinator; with {@code locks}, it releases every transaction's locks at END. */
  CompletableFuture<Started> coordinator(Optional<Endpoint> locks);

  CompletableFuture<Started> participant(BenchParticipantSettings settings);

  CompletableFuture<Started> echoServer();

  /** What the report says about where the servers ran. */
  String description();

  @Override
  void close();
}
