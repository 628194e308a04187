package io.pledge.participant.support;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The set-up several SDK tests share: the real coordinator in this JVM (real gRPC on loopback, its H2 log under
 * {@code dir}), a {@link TransactionClient} of it, and two SDK participants, {@code a} and {@code b}, each a
 * {@link ParticipantNode} over a {@link MemoryResource} with a registry of its own. Close it to tear all down.
 */
public final class InJvmDeployment implements AutoCloseable {

  public final Vertx vertx;
  public final CoordinatorServer coordinator;
  public final Endpoint coordinatorEndpoint;
  public final TransactionClient client;
  public final MemoryResource a = new MemoryResource();
  public final MemoryResource b = new MemoryResource();
  public final SimpleMeterRegistry registryA = new SimpleMeterRegistry();
  public final SimpleMeterRegistry registryB = new SimpleMeterRegistry();
  public final ParticipantNode nodeA;
  public final ParticipantNode nodeB;
  private final Path dir;

  private InJvmDeployment(Path dir) throws Exception {
    this.dir = dir;
    this.vertx = Vertx.vertx();
    this.coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0",
        "http.port", "0", "data.dir", dir.resolve("coordinator").toString()))).await(60, TimeUnit.SECONDS);
    this.coordinatorEndpoint = new Endpoint("127.0.0.1", coordinator.grpcPort());
    this.client = TransactionClient.create(vertx, coordinatorEndpoint);
    this.nodeA = ParticipantNode.builder(vertx, options("a")).resource("a", a).registry(registryA).start()
        .await(30, TimeUnit.SECONDS);
    this.nodeB = ParticipantNode.builder(vertx, options("b")).resource("b", b).registry(registryB).start()
        .await(30, TimeUnit.SECONDS);
  }

  public static InJvmDeployment start(Path dir) throws Exception {
    return new InJvmDeployment(dir);
  }

  /** A participant's options against this coordinator, its log under {@code dir/name}, in-doubt retries quick. */
  public ParticipantOptions options(String name) {
    return ParticipantOptions.defaults(coordinatorEndpoint, dir.resolve(name))
        .withRecoveryBackoff(Duration.ofMillis(50), Duration.ofSeconds(1));
  }

  @Override
  public void close() throws Exception {
    client.close();
    nodeA.close().await(10, TimeUnit.SECONDS);
    nodeB.close().await(10, TimeUnit.SECONDS);
    coordinator.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
