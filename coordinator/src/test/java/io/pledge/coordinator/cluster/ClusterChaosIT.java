package io.pledge.coordinator.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.TransactionState;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.grpc.Rpc;
import io.pledge.coordinator.log.H2TxLog;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.state.TxId;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorProcess;
import io.pledge.testkit.TestParticipant;
import io.pledge.testkit.TestParticipant.BranchState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three coordinator JVMs (CoordinatorMain with cluster flags), transfers under load through a client that follows
 * the leader, and faults on the leader: {@code kill -9} (then a restart) and {@code SIGSTOP} past the election
 * timeout (then {@code SIGCONT}). Afterwards every transaction the client was told COMMITTED is committed at both
 * participants, every other one is rolled back or never prepared, nothing is left prepared, and every member's H2
 * log holds the same single decision per transaction. CI: 5 kills and 2 freezes; {@code -Dpledge.ha.long=true}:
 * 50 kills and 10 freezes.
 */
class ClusterChaosIT {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterChaosIT.class);
  private static final boolean LONG = Boolean.getBoolean("pledge.ha.long");
  private static final int KILLS = LONG ? 50 : 5;
  private static final int FREEZES = LONG ? 10 : 2;
  private static final int LANES = 8;
  private static final Duration ELECTION_TIMEOUT = Duration.ofMillis(500);

  @TempDir
  Path dir;

  Vertx vertx;
  GrpcClient grpc;
  TestParticipant a;
  TestParticipant b;
  final List<CoordinatorProcess> members = new ArrayList<>();
  LeaderEndpoints leaders;
  final Map<String, Outcome> told = new ConcurrentHashMap<>();
  final Map<String, Boolean> begun = new ConcurrentHashMap<>();
  final AtomicBoolean running = new AtomicBoolean(true);
  final AtomicLong committed = new AtomicLong();
  final AtomicLong lastCommitNanos = new AtomicLong();

  @AfterEach
  void stop() {
    running.set(false);
    members.forEach(m -> {
      try {
        resume(m);
      } catch (RuntimeException e) {
        LOG.debug("resume at teardown", e);
      }
      m.close();
    });
    if (a != null) {
      a.close();
      b.close();
    }
    if (vertx != null) {
      Await.result(vertx.close());
    }
  }

  @Test
  void leaderKillsAndFreezesUnderLoadLoseNoDecisionAndBlockNobody() throws Exception {
    vertx = Vertx.vertx();
    grpc = GrpcTransport.client(vertx, new HttpClientOptions());
    a = TestParticipant.start(vertx, "bank-a");
    b = TestParticipant.start(vertx, "bank-b");
    int[] raftPorts = {InProcessCluster.freePort(), InProcessCluster.freePort(), InProcessCluster.freePort()};
    String peers = "n0@127.0.0.1:" + raftPorts[0] + ",n1@127.0.0.1:" + raftPorts[1] + ",n2@127.0.0.1:" + raftPorts[2];
    for (int i = 0; i < 3; i++) {
      members.add(new CoordinatorProcess("coord-n" + i, dir.resolve("n" + i), List.of("--node.id=pledge",
          "--cluster.peers=" + peers, "--cluster.node-id=n" + i,
          "--cluster.election-timeout=" + ELECTION_TIMEOUT.toMillis() + "ms", "--tx.prepare-timeout=5s",
          // Snapshots (and purges of the Raft log before them) happen during the faults too.
          "--cluster.snapshot-threshold=1000",
          "--participant.retry-base=20ms", "--participant.retry-cap=500ms", "--participant.call-timeout=2s")));
    }
    members.forEach(CoordinatorProcess::start);
    leaders = LeaderEndpoints.of(vertx, members.stream().map(m -> Endpoint.parse(m.endpoint())).toList(),
        Duration.ofSeconds(20));

    for (int lane = 0; lane < LANES; lane++) {
      runLane();
    }
    // Group commit, before any fault: each member's Raft log syncs per committed transaction.
    awaitProgress(50);
    long[] syncsBefore = members.stream().mapToLong(m -> counter(m, "pledge_cluster_log_syncs_total")).toArray();
    long commitsBefore = committed.get();
    awaitProgress(500);
    long commits = committed.get() - commitsBefore;
    for (int i = 0; i < members.size(); i++) {
      long syncs = counter(members.get(i), "pledge_cluster_log_syncs_total") - syncsBefore[i];
      LOG.info("member n{}: {} Raft log syncs for {} committed transactions: {} per transaction", i, syncs, commits,
          String.format("%.3f", (double) syncs / commits));
    }

    List<Long> failoverMillis = new ArrayList<>();
    int kills = 0;
    int freezes = 0;
    while (kills < KILLS || freezes < FREEZES) {
      awaitProgress(20);
      CoordinatorProcess leader = leader();
      long before = committed.get();
      long faultAt = System.nanoTime();
      boolean freeze = freezes < FREEZES && (kills >= KILLS || (kills + freezes) % 3 == 2);
      if (freeze) {
        suspend(leader);
        diagnosed(() -> await("a new leader commits while the old one is frozen").atMost(Duration.ofSeconds(30))
            .until(() -> committed.get() > before + 5
                && System.nanoTime() - faultAt > 3 * ELECTION_TIMEOUT.toNanos()));
        resume(leader);
        freezes++;
      } else {
        leader.kill();
        diagnosed(() -> await("a new leader commits after the kill").atMost(Duration.ofSeconds(30))
            .until(() -> committed.get() > before + 5));
        leader.start();
        kills++;
      }
      long firstCommitAfter = firstCommitAfter(faultAt, before);
      failoverMillis.add(firstCommitAfter);
      LOG.info("fault {} ({}): next commit after {} ms", kills + freezes, freeze ? "SIGSTOP" : "kill -9",
          firstCommitAfter);
    }
    awaitProgress(20);
    running.set(false);

    // Transactions whose Commit got no answer: the client asks until it learns their outcome.
    for (String tx : begun.keySet()) {
      if (!told.containsKey(tx)) {
        Outcome outcome = await().atMost(Duration.ofSeconds(60)).until(() -> outcome(tx),
            o -> o != Outcome.OUTCOME_PENDING);
        told.put(tx, outcome == Outcome.OUTCOME_COMMITTED ? outcome : Outcome.OUTCOME_ABORTED);
      }
    }
    await("every branch resolved as the client was told").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String tx : begun.keySet()) {
        BranchState atA = a.state(tx);
        BranchState atB = b.state(tx);
        if (told.get(tx) == Outcome.OUTCOME_COMMITTED) {
          assertEquals(BranchState.COMMITTED, atA, tx + " told COMMITTED, at bank-a");
          assertEquals(BranchState.COMMITTED, atB, tx + " told COMMITTED, at bank-b");
        } else {
          assertTrue(atA == null || atA == BranchState.ROLLED_BACK, tx + " told ABORTED, at bank-a: " + atA);
          assertTrue(atB == null || atB == BranchState.ROLLED_BACK, tx + " told ABORTED, at bank-b: " + atB);
        }
      }
    });

    await("the leader has nothing unfinished").atMost(Duration.ofSeconds(60)).until(() -> Await.result(
        leaders.call(Duration.ofSeconds(5), e -> Rpc.call(grpc, e.toSocketAddress(),
            TransactionCoordinatorGrpcClient.ListTransactions,
            ListTransactionsRequest.newBuilder().addStates(TransactionState.TRANSACTION_STATE_PREPARING)
                .addStates(TransactionState.TRANSACTION_STATE_PREPARED)
                .addStates(TransactionState.TRANSACTION_STATE_COMMITTING)
                .addStates(TransactionState.TRANSACTION_STATE_ROLLING_BACK).build(), Duration.ofSeconds(5))), 30)
        .getTransactionsCount() == 0);

    // Every member's log, read from its H2 file once the members are stopped, agrees on every transaction. A
    // follower stopped before it applied the last END records applies them when it starts again.
    Map<String, Map<String, LoggedTx.Kind>> logs = new HashMap<>();
    for (int attempt = 1; ; attempt++) {
      members.forEach(m -> m.process().stop());
      logs.clear();
      for (int i = 0; i < 3; i++) {
        logs.put("n" + i, read(dir.resolve("n" + i), begun.keySet()));
      }
      Map<String, List<String>> unsettled = new HashMap<>();
      logs.forEach((member, log) -> log.forEach((tx, kind) -> {
        if (kind != LoggedTx.Kind.COMMITTED && kind != LoggedTx.Kind.ROLLED_BACK) {
          unsettled.computeIfAbsent(member, k -> new ArrayList<>()).add(tx + "=" + kind);
        }
      }));
      if (unsettled.isEmpty()) {
        break;
      }
      LOG.info("audit attempt {}: not yet ended on some members: {}", attempt, unsettled);
      assertTrue(attempt < 4, "transactions never ended: " + unsettled);
      // Started again, the members elect a leader, which finishes what is unfinished and replicates the ENDs.
      members.forEach(CoordinatorProcess::start);
      leader();
      await("every member applied what is committed").atMost(Duration.ofSeconds(30)).until(() -> members.stream()
          .allMatch(m -> metrics(m).contains("pledge_cluster_apply_lag 0.0")));
      awaitQuiet();
    }
    int violations = 0;
    for (String tx : begun.keySet()) {
      Optional<LoggedTx.Kind> first = Optional.ofNullable(logs.get("n0").get(tx));
      for (String member : logs.keySet()) {
        Optional<LoggedTx.Kind> here = Optional.ofNullable(logs.get(member).get(tx));
        if (!here.equals(first)) {
          violations++;
          LOG.error("{}: n0 has {}, {} has {}", tx, first, member, here);
        }
      }
      if (told.get(tx) == Outcome.OUTCOME_COMMITTED && first.orElse(null) != LoggedTx.Kind.COMMITTED) {
        violations++;
        LOG.error("{} told COMMITTED, logged {}", tx, first);
      }
    }
    long toldCommitted = told.values().stream().filter(o -> o == Outcome.OUTCOME_COMMITTED).count();
    LOG.info("chaos: {} kills, {} freezes, {} transactions begun, {} committed, {} violations; failover ms {}",
        kills, freezes, begun.size(), toldCommitted, violations,
        failoverMillis.stream().sorted().map(String::valueOf).collect(Collectors.joining(",")));
    assertEquals(0, violations, "members' logs disagree with each other or with the client");
    assertTrue(toldCommitted > 20 * (KILLS + FREEZES), "committed " + toldCommitted);
  }

  private void runLane() {
    if (!running.get()) {
      return;
    }
    Future<String> tx = leaders.call(Duration.ofSeconds(2), e -> Rpc.call(grpc, e.toSocketAddress(), TransactionCoordinatorGrpcClient.Begin,
        BeginRequest.newBuilder().setTimeoutMs(10_000).build(), Duration.ofSeconds(2)).map(r -> r.getTxId()));
    tx.compose(id -> {
      begun.put(id, true);
      return enlist(id, a).compose(x -> enlist(id, b))
          .compose(x -> leaders.call(Duration.ofSeconds(3), e -> Rpc.call(grpc, e.toSocketAddress(),
              TransactionCoordinatorGrpcClient.Commit,
              CommitRequest.newBuilder().setTxId(id).build(), Duration.ofSeconds(8))))
          .map(r -> {
            told.put(id, r.getOutcome());
            if (r.getOutcome() == Outcome.OUTCOME_COMMITTED) {
              long now = System.nanoTime();
              lastCommitNanos.set(now);
              firstCommitNanos.put(committed.incrementAndGet(), now);
            }
            return id;
          });
    }).onComplete(ar -> vertx.runOnContext(v -> runLane()));
  }

  private Future<?> enlist(String tx, TestParticipant p) {
    return leaders.call(Duration.ofSeconds(2), e -> Rpc.call(grpc, e.toSocketAddress(),
        TransactionCoordinatorGrpcClient.Enlist,
        EnlistRequest.newBuilder().setTxId(tx).setParticipantId(p.id()).setEndpoint(p.endpoint()).build(),
        Duration.ofSeconds(2)));
  }

  private Outcome outcome(String tx) {
    return Await.result(leaders.call(Duration.ofSeconds(5), e -> Rpc.call(grpc, e.toSocketAddress(),
        TransactionCoordinatorGrpcClient.GetOutcome, GetOutcomeRequest.newBuilder().setTxId(tx).build(),
        Duration.ofSeconds(5))).map(r -> r.getOutcome()), 30);
  }

  private void awaitProgress(int transactions) {
    long from = committed.get();
    diagnosed(() -> await("load progresses").atMost(Duration.ofSeconds(60))
        .until(() -> committed.get() >= from + transactions));
  }

  /**
   * On a timeout, the members' notable output lines go to the test log and their whole output to
   * {@code target/cluster-chaos/}: the child JVMs log nowhere else, and a stalled election needs all of it.
   */
  private void diagnosed(Runnable wait) {
    try {
      wait.run();
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      for (CoordinatorProcess m : members) {
        List<String> lines = m.process().lines();
        try {
          Path out = Path.of("target", "cluster-chaos", m.endpoint().toString().replace(':', '_') + ".log");
          java.nio.file.Files.createDirectories(out.getParent());
          java.nio.file.Files.write(out, lines);
          LOG.error("whole output of {}: {}", m.endpoint(), out.toAbsolutePath());
        } catch (IOException io) {
          LOG.error("could not keep the output of {}", m.endpoint(), io);
        }
        for (int i = 0; i < lines.size(); i++) {
          if (lines.get(i).contains("caught a Throwable")) {
            LOG.error("{} failed:\n{}", m.endpoint(), String.join("\n", lines.subList(i, Math.min(lines.size(), i + 30))));
            break;
          }
        }
        List<String> notable = lines.stream().filter(l -> l.contains("ERROR") || l.contains("caught")
            || l.contains("shutdown") || l.contains("stepped") || l.contains("leading") || l.contains("snapshot"))
            .filter(l -> !l.contains("ServerNotReadyException") && !l.contains("Failed requestVote")).toList();
        LOG.error("notable output of {} (alive {}):\n{}", m.endpoint(), m.process().isAlive(),
            String.join("\n", notable.subList(Math.max(0, notable.size() - 200), notable.size())));
      }
      throw e;
    }
  }

  /** Until the leader holds nothing unfinished. */
  private void awaitQuiet() {
    await("the leader has nothing unfinished").atMost(Duration.ofSeconds(60)).until(() -> Await.result(
        leaders.call(Duration.ofSeconds(5), e -> Rpc.call(grpc, e.toSocketAddress(),
            TransactionCoordinatorGrpcClient.ListTransactions,
            ListTransactionsRequest.newBuilder().addStates(TransactionState.TRANSACTION_STATE_PREPARING)
                .addStates(TransactionState.TRANSACTION_STATE_PREPARED)
                .addStates(TransactionState.TRANSACTION_STATE_COMMITTING)
                .addStates(TransactionState.TRANSACTION_STATE_ROLLING_BACK).build(), Duration.ofSeconds(5))), 30)
        .getTransactionsCount() == 0);
  }

  /** The member whose /metrics says it leads. */
  private CoordinatorProcess leader() {
    CoordinatorProcess[] found = new CoordinatorProcess[1];
    await("a leader").atMost(Duration.ofSeconds(30)).until(() -> {
      for (CoordinatorProcess m : members) {
        if (m.process().isAlive() && metrics(m).contains("pledge_cluster_leader 1.0")) {
          found[0] = m;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static long counter(CoordinatorProcess m, String name) {
    return metrics(m).lines().filter(l -> l.startsWith(name + " ")).findFirst()
        .map(l -> (long) Double.parseDouble(l.substring(name.length() + 1).trim())).orElse(-1L);
  }

  private static String metrics(CoordinatorProcess m) {
    try {
      return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + m.httpPort() + "/metrics")).timeout(Duration.ofSeconds(2)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** Milliseconds from the fault to the first commit answered after it. */
  private long firstCommitAfter(long faultNanos, long committedBefore) {
    return Math.max(0, firstCommitNanos.getOrDefault(committedBefore + 1, lastCommitNanos.get()) - faultNanos)
        / 1_000_000;
  }

  private final Map<Long, Long> firstCommitNanos = new ConcurrentHashMap<>();

  private static void suspend(CoordinatorProcess p) {
    signal(p, "STOP");
  }

  private static void resume(CoordinatorProcess p) {
    if (p.process() != null && p.process().isAlive()) {
      signal(p, "CONT");
    }
  }

  private static void signal(CoordinatorProcess p, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.process().pid())).start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + signal + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, LoggedTx.Kind> read(Path dataDir, java.util.Set<String> txIds) {
    Map<String, LoggedTx.Kind> kinds = new HashMap<>();
    try (H2TxLog log = H2TxLog.open(dataDir, 16, Duration.ZERO, new SimpleMeterRegistry(),
        System::currentTimeMillis)) {
      for (String tx : txIds) {
        log.find(TxId.parse(tx)).toCompletableFuture().join().ifPresent(t -> kinds.put(tx, t.kind()));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return kinds;
  }
}
