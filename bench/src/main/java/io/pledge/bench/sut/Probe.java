package io.pledge.bench.sut;

import java.util.Objects;

/**
 * A counter read just before and after the measured window, beside CPU and syncs: what a scenario measures of its
 * own (connections a database saw opened, a cluster member's Raft syncs, CPU of processes that are not nodes).
 * Reported per finished transaction.
 *
 * @param name what it counts, as the report shows it (e.g. "PostgreSQL sessions opened (p1)")
 * @param counter reads the running total; blocking, on the harness's thread
 * @param scale multiplies the per-transaction value (1000: seconds to milliseconds)
 */
public record Probe(String name, Node.SyncCounter counter, double scale) {

  public Probe {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(counter, "counter");
  }

  public Probe(String name, Node.SyncCounter counter) {
    this(name, counter, 1);
  }
}
