package io.pledge.bench.participant;

import io.pledge.common.grpc.Endpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How one bench participant behaves.
 *
 * @param name participant id (also the lock-name prefix)
 * @param coordinator the coordinator it enlists with (any endpoint when none runs: it is only called on enlist)
 * @param dataDir directory of its participant log and counter store
 * @param voteNo probability of a no vote at prepare, 0..1
 * @param readOnly reads the counter instead of updating it, and votes read-only
 * @param locks the lock service: when present, every transaction's work takes an exclusive lock on its key first
 * @param coordinatorCluster every member of a coordinator cluster (the SDK follows the leader); empty: only
 *     {@code coordinator}
 * @param postgres JDBC URL of a PostgreSQL database: the counters live there, in XA branches (the SDK's XA adapter
 *     over a pool), instead of the H2 counter store
 * @param tls the {@code tls.*} settings (certificate, key, CA, policy) of its endpoints and its calls out; empty:
 *     plaintext
 */
public record BenchParticipantSettings(String name, Endpoint coordinator, Path dataDir, double voteNo,
    boolean readOnly, Optional<Endpoint> locks, List<Endpoint> coordinatorCluster, Optional<String> postgres,
    Map<String, String> tls) {

  public BenchParticipantSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(coordinator, "coordinator");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(locks, "locks");
    Objects.requireNonNull(postgres, "postgres");
    coordinatorCluster = List.copyOf(coordinatorCluster);
    tls = Map.copyOf(tls);
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("participant name must be 1..64 of [A-Za-z0-9._-], got '" + name + "'");
    }
    if (voteNo < 0 || voteNo > 1) {
      throw new IllegalArgumentException("vote-no probability must be within 0..1, got " + voteNo);
    }
    if (postgres.isPresent() && voteNo > 0) {
      throw new IllegalArgumentException("a PostgreSQL participant votes as its database does: --vote-no needs the"
          + " H2 store");
    }
    if (tls.keySet().stream().anyMatch(k -> !k.startsWith("tls."))) {
      throw new IllegalArgumentException("tls settings must be tls.* keys, got " + tls.keySet());
    }
  }

  public BenchParticipantSettings(String name, Endpoint coordinator, Path dataDir, double voteNo, boolean readOnly,
      Optional<Endpoint> locks) {
    this(name, coordinator, dataDir, voteNo, readOnly, locks, List.of(), Optional.empty(), Map.of());
  }

  /** The same settings as {@link BenchParticipantMain} flags. */
  public List<String> toArgs() {
    List<String> args = new ArrayList<>(List.of("--name=" + name, "--coordinator=" + coordinator,
        "--data-dir=" + dataDir.toAbsolutePath(), "--vote-no=" + voteNo));
    if (readOnly) {
      args.add("--read-only");
    }
    locks.ifPresent(l -> args.add("--locks=" + l));
    if (!coordinatorCluster.isEmpty()) {
      args.add("--coordinator-cluster=" + coordinatorCluster.stream().map(Endpoint::toString)
          .collect(Collectors.joining(",")));
    }
    postgres.ifPresent(url -> args.add("--postgres=" + url));
    tls.forEach((k, v) -> args.add("--tls=" + k + "=" + v));
    return args;
  }
}
