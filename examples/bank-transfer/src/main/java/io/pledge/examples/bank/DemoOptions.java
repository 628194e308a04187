package io.pledge.examples.bank;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings of {@link DemoMain}; flags like {@code --duration=2m --concurrency=16}, or {@code PLEDGE_*} variables. */
record DemoOptions(Duration duration, int concurrency, int accounts, long initialBalance, int overdraftPercent,
    boolean kill, Duration downtime, Duration settleTimeout, Duration progressEvery, Optional<Path> dir, String db,
    boolean plaintext, int coordinators) {

  static final ConfigKey<Duration> DURATION = ConfigKey.duration("duration", Duration.ofSeconds(40),
      "how long transfers run (start-up and the final check add about 15 s)");
  static final ConfigKey<Integer> CONCURRENCY = ConfigKey.integer("concurrency", 8, "transfers in flight at once");
  static final ConfigKey<Integer> ACCOUNTS = ConfigKey.integer("accounts", 10, "accounts in each bank");
  static final ConfigKey<Integer> INITIAL_BALANCE = ConfigKey.integer("initial-balance", 1000,
      "initial balance of each account");
  static final ConfigKey<Integer> OVERDRAFT_PERCENT = ConfigKey.integer("overdraft-percent", 5,
      "share of transfers that ask more than the account holds (the bank refuses, the transfer rolls back)");
  static final ConfigKey<Boolean> KILL = ConfigKey.bool("kill", true,
      "kill -9 bank-b at 40% of the run and restart it; it resolves its in-doubt branches (with --coordinators=3:"
      + " the leader's kill and freeze instead)");
  static final ConfigKey<Duration> DOWNTIME = ConfigKey.duration("downtime", Duration.ofSeconds(3),
      "how long the killed bank (or coordinator) stays down, and a frozen coordinator frozen");
  static final ConfigKey<Duration> SETTLE_TIMEOUT = ConfigKey.duration("settle-timeout", Duration.ofSeconds(60),
      "how long the final check waits for every branch and transaction to finish");
  static final ConfigKey<Duration> PROGRESS = ConfigKey.duration("progress", Duration.ofSeconds(2),
      "interval of the progress line");
  static final ConfigKey<String> DIR = ConfigKey.string("dir", "",
      "directory for the databases, logs and the banks' log files (empty: a new temporary directory)");

  static final ConfigKey<String> DB = ConfigKey.string("db", "h2", "the banks' databases: h2 (files), postgres (one"
      + " embedded PostgreSQL started by the demo, a database per bank) or a jdbc:postgresql: URL of a server whose"
      + " database name is replaced by bank_a and bank_b (they must exist)");

  static final ConfigKey<Boolean> PLAINTEXT = ConfigKey.bool("plaintext", false,
      "run every server without TLS (the default is mutual TLS with certificates from a throwaway CA made at start)");

  static final ConfigKey<Integer> COORDINATORS = ConfigKey.integer("coordinators", 1, "1: one coordinator in the"
      + " demo's JVM; 3 or 5: a Raft cluster of coordinator JVMs, whose leader is killed with kill -9 at 30% of the run"
      + " and restarted, and whose next leader is frozen with SIGSTOP at 65% for --downtime (instead of bank-b's"
      + " kill); the end adds each member's log to the check and the failover times");

  static final List<ConfigKey<?>> KEYS = List.of(DURATION, CONCURRENCY, ACCOUNTS, INITIAL_BALANCE,
      OVERDRAFT_PERCENT, KILL, DOWNTIME, SETTLE_TIMEOUT, PROGRESS, DIR, DB, PLAINTEXT, COORDINATORS);

  DemoOptions {
    if (duration.isNegative() || duration.isZero() || concurrency < 1 || accounts < 1 || initialBalance < 1) {
      throw new IllegalArgumentException("duration, concurrency, accounts and initial-balance must be positive");
    }
    if (!db.equals("h2") && !db.equals("postgres") && !db.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("db must be h2, postgres or a jdbc:postgresql: URL, got '" + db + "'");
    }
    if (coordinators != 1 && coordinators != 3 && coordinators != 5) {
      throw new IllegalArgumentException("coordinators must be 1, 3 or 5 (a Raft cluster has an odd size), got "
          + coordinators);
    }
    if (coordinators > 1 && kill && downtime.compareTo(CoordinatorCluster.ELECTION_TIMEOUT.multipliedBy(3)) < 0) {
      throw new IllegalArgumentException("with a coordinator cluster, downtime must be at least "
          + CoordinatorCluster.ELECTION_TIMEOUT.multipliedBy(3).toMillis() + "ms: the frozen leader must stay frozen"
          + " past the election timeout");
    }
    if (overdraftPercent < 0 || overdraftPercent > 100) {
      throw new IllegalArgumentException("overdraft-percent must be within 0..100");
    }
  }

  static DemoOptions from(Config c) {
    String dir = c.get(DIR);
    return new DemoOptions(c.get(DURATION), c.get(CONCURRENCY), c.get(ACCOUNTS), c.get(INITIAL_BALANCE),
        c.get(OVERDRAFT_PERCENT), c.get(KILL), c.get(DOWNTIME), c.get(SETTLE_TIMEOUT), c.get(PROGRESS),
        dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir)), c.get(DB), c.get(PLAINTEXT),
        c.get(COORDINATORS));
  }
}
