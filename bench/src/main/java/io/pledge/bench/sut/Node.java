package io.pledge.bench.sut;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * A server the harness measures: its process (for CPU and memory; several nodes share one in {@code --in-process}
 * runs) and where its forced-sync counter is read.
 *
 * @param pid the local process, when known (a remote or unnamed process has none)
 * @param syncs reads the total of {@code pledge_log_syncs_total} over the node's logs, when it has any
 */
public record Node(String name, Role role, OptionalLong pid, Optional<SyncCounter> syncs) {

  /** Reads a node's forced syncs so far; empty when it cannot be read. Blocking: harness thread only. */
  @FunctionalInterface
  public interface SyncCounter {
    OptionalDouble read();
  }

  public Node {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(pid, "pid");
    Objects.requireNonNull(syncs, "syncs");
  }

  /** The harness's own JVM: the load driver and its clients. */
  public static Node client() {
    return new Node("bench-client", Role.CLIENT, OptionalLong.of(ProcessHandle.current().pid()), Optional.empty());
  }
}
