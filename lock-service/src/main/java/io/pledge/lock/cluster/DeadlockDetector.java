package io.pledge.lock.cluster;

import io.pledge.lock.metrics.LockMetrics;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.WaitEdge;
import io.pledge.lock.table.WaitForGraph;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import io.vertx.core.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this server's waits in the cluster-wide wait-for graph and looks for a cycle each time one is added or its
 * blockers change. Any new cycle passes through the wait just added, so the search starts there; every server that
 * finds the cycle picks the same victim ({@link WaitForGraph}), and cancelling a wait twice is harmless. The victim's
 * wait is withdrawn with a DEADLOCK reason in its lock's state, which is how its own server learns it.
 */
final class DeadlockDetector {

  private static final Logger LOG = LoggerFactory.getLogger(DeadlockDetector.class);

  private final LockStore store;
  private final LockMetrics metrics;
  private final Consumer<LockState> states;

  DeadlockDetector(LockStore store, LockMetrics metrics, Consumer<LockState> states) {
    this.store = store;
    this.metrics = metrics;
    this.states = states;
  }

  void check(WaitEdge edge, Duration ttl) {
    long start = System.nanoTime();
    store.putEdge(edge, ttl).compose(v -> store.edges()).onSuccess(all -> {
      List<WaitEdge> graph = withOwn(all, edge);
      var found = WaitForGraph.findCycle(graph, edge.owner());
      if (found.isEmpty()) {
        metrics.detection(start);
        return;
      }
      confirm(graph, found.get().cycle()).onSuccess(real -> {
        metrics.detection(start);
        if (!real) {
          LOG.atDebug().addKeyValue("cycle", found.get().cycle()).log("cycle from stale wait edges; ignored");
          return;
        }
        WaitForGraph.Deadlock d = found.get();
        WaitEdge victim = d.victim();
        LOG.atWarn().addKeyValue("owner", victim.owner()).addKeyValue("lock", victim.lock())
            .addKeyValue("cycle", d.cycle()).log("deadlock detected; aborting the youngest waiter");
        store.apply(victim.lock(), new LockOp.CancelWait(victim.waitId(), d.message()))
            .onSuccess(r -> states.accept(r.state()))
            .onFailure(e -> LOG.atWarn().addKeyValue("lock", victim.lock()).log("could not abort victim: {}",
                e.getMessage()));
      }).onFailure(e -> LOG.atWarn().log("could not confirm deadlock: {}", e.getMessage()));
    }).onFailure(e -> LOG.atWarn().addKeyValue("owner", edge.owner()).addKeyValue("lock", edge.lock())
        .log("deadlock check failed: {}", e.getMessage()));
  }

  /**
   * Edges are removed asynchronously when waits end, so a scan can show a cycle that no longer exists. A real deadlock
   * does not dissolve by itself, so each step of the cycle is checked against its lock's current state: the wait is
   * still queued and still blocked by the next owner.
   */
  private Future<Boolean> confirm(List<WaitEdge> graph, List<String> cycle) {
    List<Future<Boolean>> checks = new ArrayList<>();
    for (int i = 0; i < cycle.size(); i++) {
      String owner = cycle.get(i);
      String next = cycle.get((i + 1) % cycle.size());
      List<WaitEdge> steps = graph.stream().filter(e -> e.owner().equals(owner) && e.waitsFor().contains(next))
          .toList();
      List<Future<Boolean>> any = new ArrayList<>();
      for (WaitEdge e : steps) {
        any.add(store.read(e.lock()).map(s -> s.waiter(e.waitId()).isPresent()
            && s.blockedBy(e.waitId()).contains(next)));
      }
      checks.add(Future.all(any).map(cf -> any.stream().anyMatch(Future::result)));
    }
    return Future.all(checks).map(cf -> checks.stream().allMatch(Future::result));
  }

  /** The map scan may not show our own latest edge yet: use ours in place of any stored copy. */
  private static List<WaitEdge> withOwn(Collection<WaitEdge> all, WaitEdge own) {
    List<WaitEdge> out = new ArrayList<>(all.size() + 1);
    for (WaitEdge e : all) {
      if (!e.waitId().equals(own.waitId())) {
        out.add(e);
      }
    }
    out.add(own);
    return out;
  }
}
