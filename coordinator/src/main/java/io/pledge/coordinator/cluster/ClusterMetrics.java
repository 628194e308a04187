package io.pledge.coordinator.cluster;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What a coordinator cluster member shows on {@code /metrics} (docs/operations: "Coordinator cluster"): its term and
 * leadership, its Raft log's syncs, commit and apply progress, how long the leader's entries take to commit
 * (replication latency) and, on the leader, how far behind each follower is. Every series is bounded: the follower
 * lag has one series per configured peer, the latency timer fixed buckets.
 */
public final class ClusterMetrics {

  /** Buckets of {@code pledge_cluster_replication_latency}: a sync on loopback is sub-millisecond, a stall seconds. */
  static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private final Timer replicationLatency;

  private ClusterMetrics(Timer replicationLatency) {
    this.replicationLatency = replicationLatency;
  }

  /** Registers the member's series; {@code node}'s figures are read at each scrape. */
  /** @param leaderChanges times this member became the leader ({@link Leadership#leaderChanges}) */
  public static ClusterMetrics bind(MeterRegistry registry, RaftNode node, ClusterOptions options,
      LongSupplier leaderChanges) {
    Gauge.builder("pledge_cluster_term", node, RaftNode::term)
        .description("the Raft term this coordinator member is in").register(registry);
    Gauge.builder("pledge_cluster_leader", node, n -> n.isLeaderReady() ? 1 : 0)
        .description("1 while this member leads its coordinator cluster").register(registry);
    Gauge.builder("pledge_cluster_leader_changes", leaderChanges, LongSupplier::getAsLong)
        .description("times this member became the leader").register(registry);
    FunctionCounter.builder("pledge_cluster_log_syncs", node, RaftNode::logSyncs)
        .description("syncs of this member's Raft log (group commit: many transactions share one)")
        .register(registry);
    FunctionCounter.builder("pledge_cluster_entries_applied", node, RaftNode::entriesApplied)
        .description("Raft entries applied to this member's H2 log").register(registry);
    Gauge.builder("pledge_cluster_apply_lag", node, n -> Math.max(0, n.commitIndex() - n.lastAppliedIndex()))
        .description("committed Raft entries not yet applied to this member's H2 log").register(registry);
    Gauge.builder("pledge_cluster_commit_index", node, RaftNode::commitIndex)
        .description("the highest Raft index this member knows committed").register(registry);
    Gauge.builder("pledge_cluster_applied_index", node, RaftNode::lastAppliedIndex)
        .description("the highest Raft index applied to this member's H2 log").register(registry);
    for (ClusterOptions.Peer peer : options.peers()) {
      if (!peer.id().equals(options.nodeId())) {
        Gauge.builder("pledge_cluster_follower_lag", node, n -> n.followerLag(peer.id()))
            .tag("follower", peer.id())
            .description("on the leader: committed entries this follower's log lacks (leader's commit index minus the"
                + " follower's match index); NaN on a member that does not lead")
            .register(registry);
      }
    }
    Timer latency = Timer.builder("pledge_cluster_replication_latency")
        .description("from the leader submitting an entry to its commit by a majority and its apply here")
        .serviceLevelObjectives(LATENCY_BUCKETS).minimumExpectedValue(LATENCY_BUCKETS[0])
        .maximumExpectedValue(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]).register(registry);
    return new ClusterMetrics(latency);
  }

  /** {@code proposer}, with each committed entry's replication latency recorded (failed proposals are not). */
  public Function<byte[], CompletableFuture<byte[]>> timed(Function<byte[], CompletableFuture<byte[]>> proposer) {
    return entry -> {
      long started = System.nanoTime();
      return proposer.apply(entry).whenComplete((reply, failure) -> {
        if (failure == null) {
          replicationLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
      });
    };
  }
}
