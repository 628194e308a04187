package io.pledge.examples.bank;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The faults of {@code --coordinators=3}, each on whichever member leads at the time, with transfers in flight: a
 * {@code kill -9} followed by a restart on the same ports and data, and a {@code SIGSTOP} held past the election
 * timeout followed by {@code SIGCONT}. Each prints what happens and answers its failover times: when another member
 * served as leader, and when the next transfer committed (what a client sees).
 *
 * <p>Blocking: used only from the demo's main thread.
 */
final class ClusterFaults {

  private static final Duration LEADER_WAIT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final CoordinatorCluster cluster;
  private final TransferStats stats;
  private final Duration downtime;

  ClusterFaults(Vertx vertx, CoordinatorCluster cluster, TransferStats stats, Duration downtime) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.stats = stats;
    this.downtime = downtime;
  }

  /** kill -9 of the leader; it stays down for the downtime, then starts again and rejoins as a follower. */
  String killLeader() throws Exception {
    CoordinatorNode leader = cluster.awaitLeader(Optional.empty(), LEADER_WAIT);
    long at = System.nanoTime();
    stats.watch(at);
    long pid = leader.kill();
    System.out.printf("!! kill -9 coordinator %s (pid %d), the leader, with transfers in flight; it stays down for"
        + " %d ms%n", leader.id(), pid, downtime.toMillis());
    CoordinatorNode next = cluster.awaitLeader(Optional.of(leader), LEADER_WAIT);
    long elected = millisSince(at);
    System.out.printf("!! coordinator %s leads %d ms after the kill: it finishes what %s had decided or was asked to"
        + " commit%n", next.id(), elected, leader.id());
    sleep(downtime.minusMillis(millisSince(at)));
    long restart = System.nanoTime();
    leader.launch().awaitReady(Duration.ofMinutes(2));
    System.out.printf("!! coordinator %s restarted in %d ms on the same ports and data; it follows %s and catches up%n",
        leader.id(), millisSince(restart), next.id());
    return outcome("kill -9 of " + leader.id(), elected);
  }

  /** SIGSTOP of the leader for the downtime (past the election timeout), then SIGCONT: it wakes deposed. */
  String freezeLeader() throws Exception {
    CoordinatorNode leader = cluster.awaitLeader(Optional.empty(), LEADER_WAIT);
    long at = System.nanoTime();
    stats.watch(at);
    long pid = leader.freeze();
    System.out.printf("!! SIGSTOP coordinator %s (pid %d), the leader: frozen for %d ms, past the election timeout%n",
        leader.id(), pid, downtime.toMillis());
    long elected = -1;
    try {
      CoordinatorNode next = cluster.awaitLeader(Optional.of(leader), LEADER_WAIT);
      elected = millisSince(at);
      System.out.printf("!! coordinator %s leads %d ms after the freeze%n", next.id(), elected);
      sleep(downtime.minusMillis(millisSince(at)));
    } finally {
      leader.resume();
    }
    System.out.printf("!! coordinator %s resumed after %d ms: it sees a newer term, steps down and follows%n",
        leader.id(), millisSince(at));
    return outcome("SIGSTOP of " + leader.id(), elected);
  }

  /** Waits (a while) for the first transfer committed after the fault. */
  private String outcome(String fault, long electedMillis) throws Exception {
    Instant deadline = Instant.now().plus(LEADER_WAIT);
    while (stats.firstCommitAfterWatch().isEmpty() && Instant.now().isBefore(deadline)) {
      sleep(Duration.ofMillis(50));
    }
    return fault + ": " + stats.firstCommitAfterWatch().map(ms -> ms + " ms").orElse("no commit within 30 s")
        + " (a new leader served after " + electedMillis + " ms)";
  }

  private void sleep(Duration d) throws Exception {
    if (d.toMillis() > 0) {
      vertx.timer(d.toMillis()).await(d.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }
}
