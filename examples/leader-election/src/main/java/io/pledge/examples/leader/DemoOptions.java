package io.pledge.examples.leader;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings of {@link ElectionDemoMain}: flags like {@code --lease=2s --workers=4}, or {@code PLEDGE_*} variables. */
public record DemoOptions(int workers, Duration lease, Duration writeEvery, Duration reign, Duration stepTimeout,
    int hazelcastPort, Optional<Path> dir) {

  static final ConfigKey<Integer> WORKERS = ConfigKey.integer("workers", 3, "worker processes (at least 3: one is"
      + " killed, one frozen, and someone must take over each time)");
  static final ConfigKey<Duration> LEASE = ConfigKey.duration("lease", Duration.ofSeconds(3),
      "lease of the leader lock: how long a dead or frozen leader blocks the others");
  static final ConfigKey<Duration> WRITE_EVERY = ConfigKey.duration("write-every", Duration.ofMillis(500),
      "how often the leader appends to the ledger");
  static final ConfigKey<Duration> REIGN = ConfigKey.duration("reign", Duration.ofSeconds(2),
      "how long each new leader writes before the next act");
  static final ConfigKey<Duration> STEP_TIMEOUT = ConfigKey.duration("step-timeout", Duration.ofSeconds(30),
      "how long the demo waits for a step (a take-over, a rejected write) before it fails");
  static final ConfigKey<Integer> HAZELCAST_PORT = ConfigKey.integer("hazelcast.port", 0,
      "port of the embedded lock-service member (0: a free port)");
  static final ConfigKey<String> DIR = ConfigKey.string("dir", "",
      "directory for the ledger, servers.log and the workers' logs (empty: a new temporary directory)");

  static final List<ConfigKey<?>> KEYS = List.of(WORKERS, LEASE, WRITE_EVERY, REIGN, STEP_TIMEOUT, HAZELCAST_PORT,
      DIR);

  public DemoOptions {
    if (workers < 3) {
      throw new IllegalArgumentException("workers must be at least 3");
    }
    if (lease.toMillis() < 500 || writeEvery.toMillis() < 10 || writeEvery.compareTo(lease) >= 0) {
      throw new IllegalArgumentException("lease must be at least 500ms, write-every at least 10ms and shorter than"
          + " the lease");
    }
    if (reign.isNegative() || stepTimeout.compareTo(lease) <= 0) {
      throw new IllegalArgumentException("reign must not be negative, step-timeout must exceed the lease");
    }
    if (hazelcastPort < 0 || hazelcastPort > 65535) {
      throw new IllegalArgumentException("hazelcast.port must be within 0..65535");
    }
  }

  public static DemoOptions from(Config c) {
    String dir = c.get(DIR);
    return new DemoOptions(c.get(WORKERS), c.get(LEASE), c.get(WRITE_EVERY), c.get(REIGN), c.get(STEP_TIMEOUT),
        c.get(HAZELCAST_PORT), dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir)));
  }

  /** The defaults with these overrides (key name to value): for tests. */
  public static DemoOptions of(java.util.Map<String, String> overrides) {
    return from(Config.of(KEYS, overrides));
  }
}
