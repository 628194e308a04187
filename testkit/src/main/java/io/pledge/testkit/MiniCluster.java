package io.pledge.testkit;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A small Pledge deployment for tests: coordinators in their own JVMs (so that {@link CoordinatorProcess#kill()} is
 * a real {@code kill -9}) with their logs under one directory, scriptable {@link TestParticipant}s in this JVM on
 * real gRPC, and a client of the first coordinator. Use {@link #run} so that everything is torn down:
 *
 * <pre>{@code
 * MiniCluster.run(dir, 1, List.of("bank-a", "bank-b"), List.of(), cluster -> {
 *   String tx = cluster.client().begin();
 *   ...
 *   cluster.coordinator(0).kill();
 *   cluster.restartCoordinator(0);
 * });
 * }</pre>
 */
public final class MiniCluster implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final List<CoordinatorProcess> coordinators = new ArrayList<>();
  private final Map<String, TestParticipant> participants = new LinkedHashMap<>();
  private CoordinatorTestClient client;

  private MiniCluster() {}

  /**
   * Starts {@code coordinators} coordinators (node ids {@code coord-0}, {@code coord-1}, ...) with
   * {@code coordinatorArgs} (e.g. {@code --tx.prepare-timeout=2s}) and the named participants.
   */
  public static MiniCluster start(Path dir, int coordinators, List<String> participantIds,
      List<String> coordinatorArgs) {
    MiniCluster cluster = new MiniCluster();
    try {
      for (int i = 0; i < coordinators; i++) {
        List<String> args = new ArrayList<>(coordinatorArgs);
        args.add("--node.id=coord-" + i);
        cluster.coordinators.add(new CoordinatorProcess("coord-" + i, dir.resolve("coord-" + i), args).start());
      }
      participantIds.forEach(id -> cluster.participants.put(id, TestParticipant.start(cluster.vertx, id)));
      cluster.client = new CoordinatorTestClient(cluster.vertx, cluster.coordinators.get(0).grpcPort());
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Starts a cluster, runs {@code test} with it, and tears it down whatever happens. */
  public static void run(Path dir, int coordinators, List<String> participantIds, List<String> coordinatorArgs,
      Consumer<MiniCluster> test) {
    try (MiniCluster cluster = start(dir, coordinators, participantIds, coordinatorArgs)) {
      test.accept(cluster);
    }
  }

  public CoordinatorProcess coordinator(int index) {
    return coordinators.get(index);
  }

  /** Starts a (killed) coordinator again on its log and ports; the client follows coordinator 0. */
  public CoordinatorProcess restartCoordinator(int index) {
    CoordinatorProcess c = coordinators.get(index).start();
    if (index == 0) {
      client.port(c.grpcPort());
    }
    return c;
  }

  public TestParticipant participant(String id) {
    TestParticipant p = participants.get(id);
    if (p == null) {
      throw new IllegalArgumentException("no participant " + id + " in this cluster: " + participants.keySet());
    }
    return p;
  }

  public List<TestParticipant> participants() {
    return List.copyOf(participants.values());
  }

  /** A client of coordinator 0. */
  public CoordinatorTestClient client() {
    return client;
  }

  public Vertx vertx() {
    return vertx;
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
    coordinators.forEach(CoordinatorProcess::close);
    participants.values().forEach(TestParticipant::close);
    Await.result(vertx.close());
  }
}
