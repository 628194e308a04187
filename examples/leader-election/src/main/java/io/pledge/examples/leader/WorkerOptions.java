package io.pledge.examples.leader;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import java.time.Duration;
import java.util.List;

/** Settings of one {@link WorkerMain}: {@code --id worker-2 --locks.endpoint=... --ledger.endpoint=...}. */
public record WorkerOptions(String id, Endpoint lockService, Endpoint ledger, String lock, Duration lease,
    Duration writeEvery, Duration acquireWait) {

  public static final ConfigKey<String> ID = ConfigKey.string("id", "worker-1",
      "the worker's name, in its lines and its ledger entries");
  public static final ConfigKey<String> LOCK_SERVICE = ConfigKey.string("locks.endpoint", "127.0.0.1:7600",
      "lock service host:port");
  public static final ConfigKey<String> LEDGER = ConfigKey.string("ledger.endpoint", "127.0.0.1:8090",
      "ledger host:port");
  public static final ConfigKey<String> LOCK = ConfigKey.string("election.lock", "leader/ledger",
      "the lock whose holder is the leader");
  public static final ConfigKey<Duration> LEASE = ConfigKey.duration("election.lease", Duration.ofSeconds(3),
      "lease of the leader lock, renewed every third of it; a dead or frozen leader is replaced after it runs out");
  public static final ConfigKey<Duration> WRITE_EVERY = ConfigKey.duration("election.write-every",
      Duration.ofMillis(500), "how often the leader appends to the ledger");
  public static final ConfigKey<Duration> WAIT = ConfigKey.duration("election.wait", Duration.ofSeconds(30),
      "how long one Acquire waits in the lock service's queue before the worker asks again");

  public static final List<ConfigKey<?>> KEYS = List.of(ID, LOCK_SERVICE, LEDGER, LOCK, LEASE, WRITE_EVERY, WAIT);

  public WorkerOptions {
    if (!Write.WRITER.matcher(id).matches()) {
      throw new IllegalArgumentException("id must be 1 to 64 characters of letters, digits, '.', '_' or '-'");
    }
    if (lease.toMillis() < 100 || writeEvery.toMillis() < 1 || acquireWait.toMillis() < 1) {
      throw new IllegalArgumentException("election.lease must be at least 100ms; write-every and wait positive");
    }
  }

  public static WorkerOptions from(Config c) {
    return new WorkerOptions(c.get(ID), Endpoint.parse(c.get(LOCK_SERVICE)), Endpoint.parse(c.get(LEDGER)),
        c.get(LOCK), c.get(LEASE), c.get(WRITE_EVERY), c.get(WAIT));
  }
}
