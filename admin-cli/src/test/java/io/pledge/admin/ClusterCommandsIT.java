package io.pledge.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pledge-admin given every member of a three-member coordinator cluster: status through the leader, a transfer. */
class ClusterCommandsIT {

  @TempDir
  Path dir;

  final Vertx vertx = Vertx.vertx();
  final List<CoordinatorServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(s -> Await.result(s.close(), 30));
    Await.result(vertx.close());
  }

  @Test
  void statusAndTransferLeaderThroughAnyMember() {
    List<Integer> raftPorts = IntStream.range(0, 3).mapToObj(i -> freePort()).toList();
    String peers = IntStream.range(0, 3).mapToObj(i -> "n" + i + "@127.0.0.1:" + raftPorts.get(i))
        .collect(Collectors.joining(","));
    for (int i = 0; i < 3; i++) {
      servers.add(Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
          "node.id", "pledge", "grpc.port", "0", "http.port", "0", "data.dir", dir.resolve("n" + i).toString(),
          "cluster.peers", peers, "cluster.node-id", "n" + i, "cluster.election-timeout", "300ms"))), 60));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> servers.stream().anyMatch(CoordinatorServer::isServing));
    String members = servers.stream().map(s -> "127.0.0.1:" + s.grpcPort()).collect(Collectors.joining(","));
    String leader = servers.stream().filter(CoordinatorServer::isServing).findFirst().orElseThrow().raft().nodeId();

    Cli.Run status = new Cli().run("--coordinator=" + members, "cluster", "status");
    assertEquals(0, status.code(), status.toString());
    assertTrue(status.out().startsWith("leader " + leader + "  term "), status.toString());
    assertEquals(3, status.out().lines().filter(l -> l.matches("n[0-2] .*")).count(), status.toString());

    String target = leader.equals("n0") ? "n1" : "n0";
    Cli.Run moved = new Cli().run("--coordinator=" + members, "cluster", "transfer-leader", target);
    assertEquals(0, moved.code(), moved.toString());
    assertEquals("leader is now " + target + "\n", moved.out());
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      Cli.Run after = new Cli().run("--coordinator=" + members, "--json", "cluster", "status");
      assertTrue(after.out().contains("\"leaderId\": \"" + target + "\""), after.toString());
    });

    Cli.Run unknown = new Cli().run("--coordinator=" + members, "cluster", "transfer-leader", "n7");
    assertEquals(1, unknown.code(), unknown.toString());
    assertTrue(unknown.err().contains("INVALID_ARGUMENT") && unknown.err().contains("n7"), unknown.toString());
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
