package io.pledge.lock.table;

import java.util.List;
import java.util.Objects;

/**
 * One wait in the cluster-wide wait-for graph: {@code owner} waits (wait {@code waitId}, on {@code lock}) for each
 * owner in {@code waitsFor}.
 *
 * @param since when the wait began; the owner of the latest wait in a cycle counts as the youngest
 */
public record WaitEdge(String waitId, String owner, String lock, List<String> waitsFor, long since) {

  public WaitEdge {
    Objects.requireNonNull(waitId, "waitId");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(lock, "lock");
    waitsFor = List.copyOf(waitsFor);
  }
}
