package io.pledge.lock.table;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Deadlock detection over the wait-for graph (owners are nodes; a wait adds edges from the waiter to the owners it is
 * blocked by). Detection runs when a wait is added or its blockers change, starting from that waiter: any new cycle
 * must pass through it. The victim is the youngest owner in the cycle (latest wait start, ties broken by the larger
 * owner id so that every server picks the same one), the usual choice since it has likely done the least work.
 */
public final class WaitForGraph {

  private WaitForGraph() {}

  /**
   * A cycle found in the graph.
   *
   * @param cycle owners along the cycle, starting at the owner detection started from
   * @param victim the wait to abort
   */
  public record Deadlock(List<String> cycle, WaitEdge victim) {
    public Deadlock {
      cycle = List.copyOf(cycle);
    }

    /** The message the victim gets. */
    public String message() {
      return "DEADLOCK: owner " + victim.owner() + " waiting for lock " + victim.lock() + " is in the wait-for cycle "
          + String.join(" -> ", cycle) + " -> " + cycle.get(0) + " and was chosen as the victim (youngest)";
    }
  }

  /** The shortest cycle through {@code start}, if any. */
  public static Optional<Deadlock> findCycle(Collection<WaitEdge> edges, String start) {
    Map<String, List<WaitEdge>> byOwner = new HashMap<>();
    for (WaitEdge e : edges) {
      byOwner.computeIfAbsent(e.owner(), k -> new ArrayList<>()).add(e);
    }
    Map<String, String> parent = new HashMap<>();
    Deque<String> frontier = new ArrayDeque<>();
    frontier.add(start);
    Set<String> seen = new LinkedHashSet<>();
    seen.add(start);
    while (!frontier.isEmpty()) {
      String at = frontier.poll();
      for (String next : successors(byOwner, at)) {
        if (next.equals(start)) {
          List<String> cycle = new ArrayList<>();
          for (String o = at; o != null; o = parent.get(o)) {
            cycle.add(o);
          }
          Collections.reverse(cycle);
          return Optional.of(new Deadlock(cycle, victim(byOwner, cycle)));
        }
        if (seen.add(next)) {
          parent.put(next, at);
          frontier.add(next);
        }
      }
    }
    return Optional.empty();
  }

  private static Set<String> successors(Map<String, List<WaitEdge>> byOwner, String owner) {
    Set<String> out = new LinkedHashSet<>();
    for (WaitEdge e : byOwner.getOrDefault(owner, List.of())) {
      out.addAll(e.waitsFor());
    }
    return out;
  }

  private static WaitEdge victim(Map<String, List<WaitEdge>> byOwner, List<String> cycle) {
    WaitEdge best = null;
    for (int i = 0; i < cycle.size(); i++) {
      String owner = cycle.get(i);
      String next = cycle.get((i + 1) % cycle.size());
      for (WaitEdge e : byOwner.getOrDefault(owner, List.of())) {
        if (!e.waitsFor().contains(next)) {
          continue;
        }
        if (best == null || e.since() > best.since()
            || (e.since() == best.since() && e.owner().compareTo(best.owner()) > 0)) {
          best = e;
        }
      }
    }
    if (best == null) {
      throw new IllegalStateException("cycle " + cycle + " has no edges");
    }
    return best;
  }
}
