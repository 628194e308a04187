package io.pledge.coordinator.cluster;

import static org.awaitility.Awaitility.await;

import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.coordinator.log.H2TxLog;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.state.TxId;
import io.pledge.testkit.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Three (or five) coordinator members in one JVM on loopback, each with its own Vert.x, data dir and Raft port; any
 * member can be stopped (its manager stops at once, its servers close: to the others, a crash) and started again,
 * or wiped first. Each member runs two transaction managers ({@code server.event-loops}), as a member with cores to
 * use would; {@code ClusterChaosIT}'s members run the default one.
 */
final class InProcessCluster implements AutoCloseable {

  private final Path dir;
  private final List<String> ids;
  private final Map<String, Integer> raftPorts = new HashMap<>();
  private final Map<String, String> extra;
  private final Map<String, Vertx> vertxes = new HashMap<>();
  private final Map<String, CoordinatorServer> servers = new HashMap<>();

  InProcessCluster(Path dir, int size, Map<String, String> extra) {
    this.dir = dir;
    this.ids = IntStream.range(0, size).mapToObj(i -> "n" + i).toList();
    this.extra = extra;
    ids.forEach(id -> raftPorts.put(id, freePort()));
    ids.forEach(this::start);
  }

  String peers() {
    return ids.stream().map(id -> id + "@127.0.0.1:" + raftPorts.get(id)).collect(Collectors.joining(","));
  }

  int raftPort(String id) {
    return raftPorts.get(id);
  }

  Path dataDir(String id) {
    return dir.resolve(id);
  }

  void start(String id) {
    Map<String, String> settings = new HashMap<>(Map.of("node.id", "pledge", "grpc.port", "0", "http.port", "0",
        "data.dir", dataDir(id).toString(), "cluster.peers", peers(), "cluster.node-id", id,
        "cluster.election-timeout", "300ms", "participant.retry-base", "20ms", "participant.retry-cap", "200ms",
        "participant.call-timeout", "2s"));
    settings.put("server.event-loops", "2");
    settings.putAll(extra);
    Vertx vertx = Vertx.vertx();
    vertxes.put(id, vertx);
    servers.put(id, Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, settings)), 60));
  }

  /** Stops a member: its manager first (no phase-2 message after), then its servers and Raft member. */
  void stop(String id) {
    CoordinatorServer server = servers.remove(id);
    Vertx vertx = vertxes.remove(id);
    if (server != null) {
      Await.result(server.close(), 60);
    }
    if (vertx != null) {
      Await.result(vertx.close(), 60);
    }
  }

  void wipe(String id) {
    try (Stream<Path> files = Files.walk(dataDir(id))) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<String> ids() {
    return ids;
  }

  List<String> running() {
    return ids.stream().filter(servers::containsKey).toList();
  }

  CoordinatorServer server(String id) {
    return servers.get(id);
  }

  /**
   * The member that leads and finished its recovery. Only when it is the one member serving: a leader deposed by a
   * new term serves until it hears of that term and its next leadership check (every 20 ms) sees it, and a test
   * that picked it would stop or wipe the real leader thinking it a follower.
   */
  String awaitLeader(Duration within) {
    String[] found = new String[1];
    await("a serving leader").atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
      List<String> serving = running().stream().filter(id -> servers.get(id).isServing()).toList();
      found[0] = serving.size() == 1 ? serving.get(0) : null;
      return found[0] != null;
    });
    return found[0];
  }

  /**
   * Every member's log record of {@code txIds}, read from its own H2 file (a stopped member's too: its log is
   * opened for the read and closed again).
   */
  Map<String, Map<String, LoggedTx.Kind>> records(List<String> txIds) {
    Map<String, Map<String, LoggedTx.Kind>> all = new HashMap<>();
    for (String id : ids) {
      Map<String, LoggedTx.Kind> kinds = new HashMap<>();
      if (servers.containsKey(id)) {
        read(servers.get(id).raft().h2(), txIds, kinds);
      } else if (Files.exists(dataDir(id))) {
        try (H2TxLog log = H2TxLog.open(dataDir(id), 16, Duration.ZERO, new SimpleMeterRegistry(),
            System::currentTimeMillis)) {
          read(log, txIds, kinds);
        } catch (java.sql.SQLException e) {
          throw new IllegalStateException(e);
        }
      }
      all.put(id, kinds);
    }
    return all;
  }

  private static void read(H2TxLog log, List<String> txIds, Map<String, LoggedTx.Kind> kinds) {
    for (String tx : txIds) {
      log.find(TxId.parse(tx)).toCompletableFuture().join().ifPresent(t -> kinds.put(tx, t.kind()));
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    new ArrayList<>(servers.keySet()).forEach(this::stop);
  }
}
