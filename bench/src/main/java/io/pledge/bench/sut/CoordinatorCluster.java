package io.pledge.bench.sut;

import io.pledge.common.grpc.Endpoint;
import io.pledge.testkit.JvmProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A coordinator cluster (Raft) whose members are child JVMs on fixed ports, so that a member killed with
 * {@code kill -9} comes back where its peers, the clients and the participants knew it. Blocking: the harness's
 * threads only.
 */
public final class CoordinatorCluster implements AutoCloseable {

  /** How often the members' /metrics are read while waiting for a leader or a catch-up. */
  private static final long POLL_MILLIS = 50;

  /** One member: where it serves, and how to start it again. */
  static final class Member {
    final String name;
    final int grpcPort;
    final int httpPort;
    final List<String> args;
    volatile JvmProcess process;

    Member(String name, int grpcPort, int httpPort, List<String> args) {
      this.name = name;
      this.grpcPort = grpcPort;
      this.httpPort = httpPort;
      this.args = List.copyOf(args);
    }
  }

  private final ProcessLauncher launcher;
  private final List<Member> members;
  private final Map<String, String> settings;

  CoordinatorCluster(ProcessLauncher launcher, List<Member> members, Map<String, String> settings) {
    this.launcher = launcher;
    this.members = List.copyOf(members);
    this.settings = Map.copyOf(settings);
  }

  /** Starts every member together: a member may wait for a quorum of its peers before it reports ready. */
  void startAll() {
    List<CompletableFuture<Void>> starting = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      int member = i;
      starting.add(CompletableFuture.runAsync(() -> start(member)));
    }
    CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
  }

  private void start(int i) {
    Member m = members.get(i);
    m.process = launcher.startCoordinator(m.name, m.args);
  }

  public int size() {
    return members.size();
  }

  /** The members' gRPC endpoints, in member order: what the client and the participants are given. */
  public List<Endpoint> endpoints() {
    return members.stream().map(m -> new Endpoint("127.0.0.1", m.grpcPort)).toList();
  }

  /**
   * The members as measured nodes, with the processes running now; a node's syncs are its H2 log's and its Raft
   * log's together.
   */
  public List<Node> nodes() {
    return members.stream().map(m -> new Node(m.name, Role.COORDINATOR,
        m.process == null ? OptionalLong.empty() : OptionalLong.of(m.process.pid()),
        Optional.of(metric(m, List.of(PromMetrics.SYNCS, PromMetrics.CLUSTER_SYNCS))))).toList();
  }

  /** Member {@code i}'s Raft log syncs so far ({@code pledge_cluster_log_syncs_total}). */
  public Node.SyncCounter raftSyncs(int i) {
    return metric(members.get(i), List.of(PromMetrics.CLUSTER_SYNCS));
  }

  public String name(int i) {
    return members.get(i).name;
  }

  private Node.SyncCounter metric(Member m, List<String> metrics) {
    return ProcessLauncher.opsMetrics(m.httpPort, settings, metrics);
  }

  /**
   * The member that says it leads (gauge {@code pledge_cluster_leader}), once exactly one does: a deposed leader
   * may still say so for a moment after an election; fails after {@code max}.
   */
  public int awaitLeader(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      int leader = -1;
      int leaders = 0;
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        if (m.process != null && m.process.isAlive()
            && value(m, "pledge_cluster_leader").orElse(0) == 1) {
          leader = i;
          leaders++;
        }
      }
      if (leaders == 1) {
        return leader;
      }
      pause();
    }
    throw new IllegalStateException("no coordinator cluster member leads after " + max.toSeconds() + " s");
  }

  /** Until member {@code i} has applied every entry it knows of ({@code pledge_cluster_apply_lag} 0). */
  public void awaitCaughtUp(int i, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (value(members.get(i), "pledge_cluster_apply_lag").orElse(-1) == 0) {
        return;
      }
      pause();
    }
    throw new IllegalStateException(name(i) + " has not caught up after " + max.toSeconds() + " s");
  }

  private OptionalDouble value(Member m, String gauge) {
    return metric(m, List.of(gauge)).read();
  }

  /** {@code kill -9} of member {@code i}: no shutdown hook, no flush; returns once the process is gone. */
  public void kill(int i) {
    members.get(i).process.kill();
  }

  /** Starts member {@code i} again on its data and ports; returns once it serves. */
  public void restart(int i) {
    start(i);
  }

  private static void pause() {
    try {
      TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the coordinator cluster", e);
    }
  }

  /** Stops every member politely ({@code SIGTERM}). */
  @Override
  public void close() {
    for (Member m : members) {
      if (m.process != null && m.process.isAlive()) {
        m.process.stop();
      }
    }
  }
}
