package io.pledge.participant.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
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

/**
 * A TransactionClient given a coordinator cluster's three members, the first of them a follower: it finds the
 * leader, and after the leader stops it finds the next one, without the caller doing anything.
 */
class ClusterClientIT {

  @TempDir
  Path dir;

  final Vertx vertx = Vertx.vertx();
  final List<CoordinatorServer> servers = new ArrayList<>();
  TransactionClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    servers.forEach(s -> Await.result(s.close(), 30));
    Await.result(vertx.close());
  }

  @Test
  void followsTheLeaderAcrossAFailover() {
    List<Integer> raftPorts = IntStream.range(0, 3).mapToObj(i -> freePort()).toList();
    String peers = IntStream.range(0, 3).mapToObj(i -> "n" + i + "@127.0.0.1:" + raftPorts.get(i))
        .collect(Collectors.joining(","));
    for (int i = 0; i < 3; i++) {
      servers.add(Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
          "node.id", "pledge", "grpc.port", "0", "http.port", "0", "data.dir", dir.resolve("n" + i).toString(),
          "cluster.peers", peers, "cluster.node-id", "n" + i, "cluster.election-timeout", "300ms"))), 60));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> servers.stream().anyMatch(CoordinatorServer::isServing));
    CoordinatorServer leader = servers.stream().filter(CoordinatorServer::isServing).findFirst().orElseThrow();
    List<Endpoint> members = new ArrayList<>();
    servers.stream().filter(s -> s != leader).forEach(s -> members.add(new Endpoint("127.0.0.1", s.grpcPort())));
    members.add(new Endpoint("127.0.0.1", leader.grpcPort()));
    client = TransactionClient.create(vertx, members, Duration.ofSeconds(10), new HttpClientOptions(), Map.of());

    String first = Await.result(client.begin());
    assertTrue(Await.result(client.commit(first)).committed(), first);

    Await.result(leader.close(), 30);
    servers.remove(leader);
    // The short path: the next id still comes from the old leader's block, which the new leader presumes aborted
    // (its epoch ended with that leadership); that answer makes the client drop the old epoch's blocks.
    String stale = Await.result(client.begin(), 30);
    TxOutcome staleOutcome = Await.result(client.commit(stale), 30);
    if (!staleOutcome.committed()) {
      assertEquals("ABORT_CAUSE_COORDINATOR_RESTARTED", staleOutcome.cause(), staleOutcome.toString());
    }
    String second = Await.result(client.begin(), 30);
    assertTrue(Await.result(client.commit(second), 30).committed(), second);
    assertTrue(!first.split(":")[1].equals(second.split(":")[1]), "a new leader's epoch: " + first + " " + second);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
