package io.pledge.examples.bank;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.v1.ClusterStatusRequest;
import io.pledge.api.v1.ClusterStatusResponse;
import io.pledge.api.v1.CoordinatorAdminGrpcClient;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.log.H2TxLog;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The demo's coordinator cluster ({@code --coordinators=3}): a Raft group of coordinator JVMs on loopback
 * ({@link CoordinatorNode}), and what the demo asks of it: which member leads (the admin {@code ClusterStatus},
 * which only the serving leader answers), how far each member has applied the log (its {@code /metrics}), and, once
 * stopped, what each member's own H2 log still holds unfinished.
 *
 * <p>Blocking: used only from the demo's main thread.
 */
final class CoordinatorCluster implements AutoCloseable {

  /** Raft's election timeout in the demo (a follower waits this to twice it before it stands). */
  static final Duration ELECTION_TIMEOUT = Duration.ofMillis(500);
  /** One attempt of a leader probe: a frozen member must not hold the probe for long. */
  private static final Duration PROBE_ATTEMPT = Duration.ofMillis(500);

  private final Vertx vertx;
  private final List<CoordinatorNode> nodes;
  private final GrpcClient grpc;
  private final HttpClient http;
  private final LeaderEndpoints leaders;

  private CoordinatorCluster(Vertx vertx, List<CoordinatorNode> nodes, Optional<TlsOptions> tls) {
    this.vertx = vertx;
    this.nodes = nodes;
    this.grpc = GrpcTransport.client(vertx, new HttpClientOptions(), tls);
    HttpClientOptions ops = new HttpClientOptions().setConnectTimeout(2_000);
    this.http = vertx.createHttpClient(tls.map(t -> t.applyTo(ops)).orElse(ops));
    this.leaders = LeaderEndpoints.of(vertx, endpoints(), Duration.ofSeconds(5));
  }

  /**
   * Starts {@code size} members together and waits until they serve and one leads.
   *
   * @param settings flags every member gets (locks.endpoint, timeouts)
   * @param tls the members' TLS settings by member id, or nothing for plaintext
   * @param operator the demo's own certificate (role operator) for the leader probe and the scrapes
   */
  static CoordinatorCluster start(Vertx vertx, Path dir, int size, List<String> settings,
      java.util.function.Function<String, List<String>> tls, Optional<TlsOptions> operator) throws Exception {
    List<String> ids = new ArrayList<>();
    List<Integer> raftPorts = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ids.add("c" + i);
      raftPorts.add(BankProcess.freePort());
    }
    String peers = java.util.stream.IntStream.range(0, size).mapToObj(i -> ids.get(i) + "@127.0.0.1:"
        + raftPorts.get(i)).collect(Collectors.joining(","));
    List<CoordinatorNode> nodes = new ArrayList<>();
    for (String id : ids) {
      List<String> flags = new ArrayList<>(List.of("--node.id=pledge-demo", "--cluster.peers=" + peers,
          "--cluster.node-id=" + id, "--cluster.election-timeout=" + ELECTION_TIMEOUT.toMillis() + "ms"));
      flags.addAll(settings);
      flags.addAll(tls.apply(id));
      nodes.add(new CoordinatorNode(id, dir, flags));
    }
    CoordinatorCluster cluster = new CoordinatorCluster(vertx, nodes, operator);
    try {
      for (CoordinatorNode node : nodes) {
        node.launch();
      }
      for (CoordinatorNode node : nodes) {
        node.awaitReady(Duration.ofMinutes(2));
      }
      cluster.awaitLeader(Optional.empty(), Duration.ofSeconds(60));
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  List<CoordinatorNode> nodes() {
    return nodes;
  }

  List<Endpoint> endpoints() {
    return nodes.stream().map(CoordinatorNode::endpoint).toList();
  }

  /** Waits for a serving leader other than {@code not}; answers it. */
  CoordinatorNode awaitLeader(Optional<CoordinatorNode> not, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      Optional<CoordinatorNode> leader = leader();
      if (leader.isPresent() && !leader.equals(not)) {
        return leader.get();
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("no coordinator leads after " + timeout + "; see the coordinator-*.log files");
      }
      vertx.timer(50).await(5, TimeUnit.SECONDS);
    }
  }

  /** The serving leader now, if one answers. */
  Optional<CoordinatorNode> leader() {
    try {
      ClusterStatusResponse status = status();
      return nodes.stream().filter(n -> n.id().equals(status.getLeaderId())).findFirst();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private ClusterStatusResponse status() throws Exception {
    return leaders.call(PROBE_ATTEMPT, e -> Rpc.call(grpc, e.toSocketAddress(),
        CoordinatorAdminGrpcClient.ClusterStatus, ClusterStatusRequest.getDefaultInstance(), PROBE_ATTEMPT))
        .await(10, TimeUnit.SECONDS);
  }

  /**
   * Waits until every member has applied the log up to the leader's commit index, so that each one's H2 log holds
   * every decision and END the leader has; false if that did not happen in time.
   */
  boolean awaitApplied(Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try {
        long committed = status().getCommitIndex();
        boolean all = true;
        for (CoordinatorNode node : nodes) {
          all &= appliedIndex(node) >= committed;
        }
        if (all) {
          return true;
        }
      } catch (Exception e) {
        // no leader for a moment, or a member not answering yet: look again
      }
      vertx.timer(200).await(5, TimeUnit.SECONDS);
    }
    return false;
  }

  private long appliedIndex(CoordinatorNode node) throws Exception {
    String body = http.request(HttpMethod.GET, node.httpPort(), "127.0.0.1", "/metrics")
        .compose(r -> r.send()).compose(r -> r.body()).await(5, TimeUnit.SECONDS).toString();
    return body.lines().filter(l -> l.startsWith("pledge_cluster_applied_index ")).findFirst()
        .map(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).orElse(-1L);
  }

  /**
   * Stops every member (SIGTERM), then opens each one's H2 log and counts the transactions it holds unfinished
   * (a decision without its END, or an intent without a decision).
   */
  Map<String, Integer> stopAndCountUnfinished() throws Exception {
    for (CoordinatorNode node : nodes) {
      node.close();
    }
    Map<String, Integer> unfinished = new LinkedHashMap<>();
    for (CoordinatorNode node : nodes) {
      try (H2TxLog log = H2TxLog.open(node.dataDir(), 16, Duration.ZERO, new SimpleMeterRegistry(),
          System::currentTimeMillis)) {
        unfinished.put(node.id(), log.unfinished().toCompletableFuture().get(30, TimeUnit.SECONDS).size());
      }
    }
    return unfinished;
  }

  @Override
  public void close() throws InterruptedException {
    for (CoordinatorNode node : nodes) {
      node.close();
    }
    grpc.close();
    http.close();
  }
}
