package io.pledge.bench.participant;

import io.pledge.common.grpc.Endpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one bench participant behaves.
 *
 * @param name participant id (also the lock-name prefix)
 * @param coordinator the coordinator it enlists with (any endpoint when none runs: it is only called on enlist)
 * @param dataDir directory of its participant log and counter store
 * @param voteNo probability of a no vote at prepare, 0..1
 * @param readOnly reads the counter instead of updating it, and votes read-only
 * @param locks the lock service: when present, every transaction's work takes an exclusive lock on its key first
 */
public record BenchParticipantSettings(String name, Endpoint coordinator, Path dataDir, double voteNo,
    boolean readOnly, Optional<Endpoint> locks) {

  public BenchParticipantSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(coordinator, "coordinator");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(locks, "locks");
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("participant name must be 1..64 of [A-Za-z0-9._-], got '" + name + "'");
    }
    if (voteNo < 0 || voteNo > 1) {
      throw new IllegalArgumentException("vote-no probability must be within 0..1, got " + voteNo);
    }
  }

  /** The same settings as {@link BenchParticipantMain} flags. */
  public List<String> toArgs() {
    List<String> args = new ArrayList<>(List.of("--name=" + name, "--coordinator=" + coordinator,
        "--data-dir=" + dataDir.toAbsolutePath(), "--vote-no=" + voteNo));
    if (readOnly) {
      args.add("--read-only");
    }
    locks.ifPresent(l -> args.add("--locks=" + l));
    return args;
  }
}
