package io.pledge.coordinator.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ClusterStatusRequest;
import io.pledge.api.v1.ClusterStatusResponse;
import io.pledge.api.v1.CoordinatorAdminGrpcClient;
import io.pledge.api.v1.TransferLeaderRequest;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.protocol.SequenceSpace;
import io.pledge.coordinator.state.TxId;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.pledge.testkit.TestParticipant.BranchState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three coordinator members in one JVM (real Ratis over gRPC on loopback, real H2 files, real participants): the
 * leader stops mid-protocol and the new leader finishes what it left, with one decision per transaction on every
 * member; a wiped member catches up from a snapshot and the log, and leads.
 */
class CoordinatorClusterIT {

  @TempDir
  Path dir;

  Vertx vertx;
  TestParticipant a;
  TestParticipant b;
  CoordinatorTestClient client;
  InProcessCluster cluster;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    a = TestParticipant.start(vertx, "bank-a");
    b = TestParticipant.start(vertx, "bank-b");
    client = new CoordinatorTestClient(vertx, 1);
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    client.close();
    a.close();
    b.close();
    Await.result(vertx.close());
  }

  String leader() {
    String leader = cluster.awaitLeader(Duration.ofSeconds(20));
    client.port(cluster.server(leader).grpcPort());
    return leader;
  }

  String transaction() {
    String tx = client.begin();
    client.enlist(tx, a);
    client.enlist(tx, b);
    return tx;
  }

  @Test
  void aNewLeaderFinishesPhaseTwoAndDrivesCommitRequestedTransactionsToTheirOutcome() {
    cluster = new InProcessCluster(dir, 3, Map.of("tx.prepare-timeout", "30s"));
    String first = leader();

    List<String> committed = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String tx = transaction();
      assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
      committed.add(tx);
    }
    // Decided, phase 2 unfinished: bank-b refuses the next commits for a while.
    b.failPhaseTwo(1_000_000);
    List<String> deciding = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String tx = transaction();
      assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
      deciding.add(tx);
    }
    // Commit requested, votes outstanding: bank-b does not answer these prepares.
    Set<String> stalled = ConcurrentHashMap.newKeySet();
    AtomicBoolean stalling = new AtomicBoolean(true);
    b.stallPrepareWhen(tx -> stalling.get() && stalled.contains(tx));
    List<String> preparing = new ArrayList<>();
    List<Future<CommitResponse>> inFlight = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String tx = transaction();
      stalled.add(tx);
      preparing.add(tx);
      inFlight.add(client.commitAsync(tx));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> preparing.stream().allMatch(tx -> a.state(tx) != null));
    // Active, commit never requested: presumed abort.
    String active = transaction();

    // bank-b answers prepares from now on, but the stalled ones stay unanswered: only the next leader asks again.
    b.failPhaseTwo(0);
    stalling.set(false);
    cluster.stop(first);
    for (Future<CommitResponse> f : inFlight) {
      Throwable failure = Await.failure(f);
      assertEquals(GrpcStatus.UNAVAILABLE, ((RpcException) failure).status(), "a stopped leader's waiting client");
    }

    String second = leader();
    assertNotEquals(first, second);
    await("the new leader commits what the old one decided and what was requested").atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> {
          for (String tx : concat(committed, deciding, preparing)) {
            assertEquals(BranchState.COMMITTED, a.state(tx), tx + " at bank-a");
            assertEquals(BranchState.COMMITTED, b.state(tx), tx + " at bank-b");
          }
        });
    for (String tx : preparing) {
      assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome(), "a retried Commit of " + tx);
    }
    assertEquals(Outcome.OUTCOME_ABORTED, client.outcome(active), "never asked to commit: presumed abort");
    String fresh = transaction();
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(fresh).getOutcome());
    assertTrue(fresh.startsWith("pledge:"), fresh);
    assertNotEquals(committed.get(0).split(":")[1], fresh.split(":")[1], "the new leader's epoch");

    // The old leader comes back as a follower, catches up, and every member holds the same single decision.
    cluster.start(first);
    List<String> all = concat(committed, deciding, preparing, List.of(fresh));
    await("every member applied every END").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Map<String, Map<String, Kind>> records = cluster.records(all);
      for (String member : cluster.ids()) {
        for (String tx : all) {
          assertEquals(Kind.COMMITTED, records.get(member).get(tx), tx + " on " + member);
        }
      }
    });
  }

  /**
   * GetTransaction on the next leader, which knows the transaction from the replicated log only: when it began and
   * its labels are there. The replicated intent carried neither before (begun_epoch_ms 0, no labels).
   */
  @Test
  void aTransactionsBeginTimeAndLabelsSurviveAFailover() {
    cluster = new InProcessCluster(dir, 3, Map.of());
    String first = leader();
    long before = System.currentTimeMillis();
    String tx = Await.result(client.beginAsync(0, Map.of("order", "o-17", "tenant", "acme")));
    client.enlist(tx, a);
    client.enlist(tx, b);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    await().atMost(Duration.ofSeconds(10)).until(() -> b.state(tx) == BranchState.COMMITTED);

    cluster.stop(first);
    String second = leader();
    assertNotEquals(first, second);
    await("the new leader has the END").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertEquals(io.pledge.api.v1.TransactionState.TRANSACTION_STATE_COMMITTED, client.get(tx).getState()));
    io.pledge.api.v1.TransactionInfo info = client.get(tx);
    assertTrue(info.getBegunEpochMs() >= before && info.getBegunEpochMs() <= System.currentTimeMillis(),
        "begun_epoch_ms " + info.getBegunEpochMs());
    assertEquals(Map.of("order", "o-17", "tenant", "acme"), info.getLabelsMap());
  }

  @Test
  void aFollowerRedirectsToTheLeader() {
    cluster = new InProcessCluster(dir, 3, Map.of());
    String leader = leader();
    String follower = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.server(follower).raft().leaderEndpoint().isPresent());
    client.port(cluster.server(follower).grpcPort());
    Throwable failure = Await.failure(client.beginAsync(0, Map.of()));
    RpcException e = (RpcException) failure;
    assertEquals(GrpcStatus.UNAVAILABLE, e.status());
    assertTrue(e.getMessage().contains("pledge-leader=127.0.0.1:" + cluster.server(leader).grpcPort()),
        e.getMessage());
  }

  @Test
  void theLeaderReportsItsMembersAndHandsTheLeadershipOverOnRequest() {
    cluster = new InProcessCluster(dir, 3, Map.of());
    String leader = leader();
    String other = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    GrpcClient admin = GrpcTransport.client(vertx, new HttpClientOptions());
    SocketAddress at = SocketAddress.inetSocketAddress(cluster.server(leader).grpcPort(), "127.0.0.1");
    client.commit(transaction());
    await("every member caught up").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ClusterStatusResponse status = Await.result(Rpc.call(admin, at, CoordinatorAdminGrpcClient.ClusterStatus,
          ClusterStatusRequest.getDefaultInstance(), Duration.ofSeconds(5)));
      assertEquals(leader, status.getLeaderId());
      assertEquals(3, status.getMembersCount());
      assertEquals(1, status.getMembersList().stream().filter(m -> m.getLeader()).count());
      assertTrue(status.getMembersList().stream().allMatch(m -> m.getLag() == 0), status.toString());
    });
    // Metrics: the leader timed its entries' replication and sees each follower caught up; a follower, no lag.
    io.micrometer.core.instrument.MeterRegistry leaderMetrics = cluster.server(leader).registry();
    assertTrue(leaderMetrics.get("pledge_cluster_replication_latency").timer().count() > 0,
        "the leader's entries were timed");
    await("the leader sees its followers caught up").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (String id : cluster.ids()) {
        if (!id.equals(leader)) {
          assertEquals(0.0, leaderMetrics.get("pledge_cluster_follower_lag").tag("follower", id).gauge().value(), id);
        }
      }
    });
    assertEquals(2, leaderMetrics.find("pledge_cluster_follower_lag").gauges().size(), "one series per other peer");
    assertTrue(Double.isNaN(cluster.server(other).registry().get("pledge_cluster_follower_lag").tag("follower", leader)
        .gauge().value()), "a follower reports no lag of others");
    RpcException unknown = (RpcException) Await.failure(Rpc.call(admin, at, CoordinatorAdminGrpcClient.TransferLeader,
        TransferLeaderRequest.newBuilder().setMemberId("n9").build(), Duration.ofSeconds(5)));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, unknown.status());

    Await.result(Rpc.call(admin, at, CoordinatorAdminGrpcClient.TransferLeader,
        TransferLeaderRequest.newBuilder().setMemberId(other).build(), Duration.ofSeconds(20)), 30);
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.server(other).isServing());
    assertEquals(other, leader());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(transaction()).getOutcome());
  }

  @Test
  void aWipedMemberCatchesUpFromASnapshotAndTheLogAndCanLead() throws Exception {
    cluster = new InProcessCluster(dir, 3, Map.of("cluster.snapshot-threshold", "40",
        "cluster.log-segment-size", "65536"));
    String leader = leader();
    String wiped = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    cluster.stop(wiped);
    cluster.wipe(wiped);

    List<String> txs = new ArrayList<>(runConcurrently(400, cluster.server(leader).grpcPort()));
    // Two connections: the leader's two transaction managers (InProcessCluster) both issued and decided some.
    assertEquals(Set.of(0, 1), txs.stream().map(tx -> SequenceSpace.owner(TxId.parse(tx).sequence(), 2))
        .collect(Collectors.toSet()), "both managers of the leader");
    // The leader's log before its latest snapshot is purged: the wiped member cannot be sent the entries.
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.server(leader).raft().snapshotIndex() > 0
        && cluster.server(leader).raft().logStartIndex() > 0);

    cluster.start(wiped);
    await("the wiped member has every decision").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Map<String, Kind> records = cluster.records(txs).get(wiped);
      for (String tx : txs) {
        assertEquals(Kind.COMMITTED, records.get(tx), tx + " on the wiped member");
      }
    });
    assertTrue(cluster.server(wiped).raft().snapshotsInstalled() > 0, "caught up through a snapshot");

    cluster.server(leader).raft().transferLeadership(wiped, Duration.ofSeconds(10));
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.server(wiped).isServing());
    client.port(cluster.server(wiped).grpcPort());
    String tx = transaction();
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    assertEquals(Outcome.OUTCOME_COMMITTED, client.outcome(txs.get(0)), "an id an earlier leader issued");
  }

  /** {@code count} two-participant transactions, 16 at a time over two connections to {@code port}; their ids. */
  List<String> runConcurrently(int count, int port) {
    List<String> ids = new ArrayList<>();
    List<Future<String>> lanes = new ArrayList<>();
    List<CoordinatorTestClient> clients = List.of(new CoordinatorTestClient(vertx, port),
        new CoordinatorTestClient(vertx, port));
    try {
      for (int lane = 0; lane < 16; lane++) {
        lanes.add(lane(clients.get(lane % 2), count / 16, ids));
      }
      Await.result(Future.all(lanes), 120);
    } finally {
      clients.forEach(CoordinatorTestClient::close);
    }
    return ids;
  }

  private Future<String> lane(CoordinatorTestClient client, int remaining, List<String> ids) {
    if (remaining == 0) {
      return Future.succeededFuture("");
    }
    return client.beginAsync(0, Map.of()).compose(tx -> client.enlistAsync(tx, a.id(), a.endpoint())
        .compose(x -> client.enlistAsync(tx, b.id(), b.endpoint())).compose(x -> client.commitAsync(tx))
        .map(r -> {
          if (r.getOutcome() != Outcome.OUTCOME_COMMITTED) {
            throw new IllegalStateException(tx + " " + r.getOutcome());
          }
          synchronized (ids) {
            ids.add(tx);
          }
          return tx;
        })).compose(tx -> lane(client, remaining - 1, ids));
  }

  @SafeVarargs
  static List<String> concat(List<String>... lists) {
    List<String> all = new ArrayList<>();
    for (List<String> l : lists) {
      all.addAll(l);
    }
    return all;
  }
}
