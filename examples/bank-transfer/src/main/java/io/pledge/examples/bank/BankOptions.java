package io.pledge.examples.bank;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.participant.endpoint.ParticipantOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Settings of one {@link BankService}: the bank's own keys plus the participant's ({@link ParticipantOptions#KEYS}),
 * from a file, {@code PLEDGE_*} environment variables or {@code --flags} like every Pledge server.
 */
public record BankOptions(String name, String httpHost, int httpPort, int accounts, long initialBalance,
    Endpoint lockService, Duration lockLease, Duration lockWait, String db, String dbUser, String dbPassword,
    int dbPoolSize, ParticipantOptions participant, Optional<TlsOptions> tls, Optional<Policy> policy) {

  public static final ConfigKey<String> NAME = ConfigKey.string("bank.name", "bank-a",
      "bank name: its participant id and the prefix of its lock names (stable across restarts)");
  public static final ConfigKey<String> HTTP_HOST = ConfigKey.string("bank.http.host", "127.0.0.1",
      "address the HTTP API (/debit, /credit, /status) listens on");
  public static final ConfigKey<Integer> HTTP_PORT = ConfigKey.integer("bank.http.port", 8081,
      "HTTP API port (0 picks a free one)");
  public static final ConfigKey<Integer> ACCOUNTS = ConfigKey.integer("bank.accounts", 10,
      "accounts created in an empty database");
  public static final ConfigKey<Integer> INITIAL_BALANCE = ConfigKey.integer("bank.initial-balance", 1000,
      "balance of each account created");
  public static final ConfigKey<String> LOCK_SERVICE = ConfigKey.string("locks.endpoint", "127.0.0.1:7600",
      "lock service host:port; accounts are locked there with the transaction id as owner");
  public static final ConfigKey<Duration> LOCK_LEASE = ConfigKey.duration("bank.lock.lease", Duration.ofSeconds(10),
      "lease of an account lock (renewed while the branch lives)");
  public static final ConfigKey<Duration> LOCK_WAIT = ConfigKey.duration("bank.lock.wait", Duration.ofSeconds(5),
      "how long a request waits for an account lock before it fails");

  public static final ConfigKey<String> DB = ConfigKey.string("db", "h2", "the accounts database: h2 (a file in the"
      + " data directory), postgres (an embedded PostgreSQL in the data directory) or a jdbc:postgresql: URL");
  public static final ConfigKey<String> DB_USER = ConfigKey.string("db.user", "postgres",
      "database user for a jdbc:postgresql: URL");
  public static final ConfigKey<String> DB_PASSWORD = ConfigKey.string("db.password", "",
      "its password");
  public static final ConfigKey<Integer> DB_POOL_SIZE = ConfigKey.integer("db.pool-size", 32,
      "XA connections in the pool (branches being worked for or awaiting phase 2 hold one each)");

  public static final List<ConfigKey<?>> KEYS = keys();

  private static List<ConfigKey<?>> keys() {
    List<ConfigKey<?>> keys = new ArrayList<>(List.of(NAME, HTTP_HOST, HTTP_PORT, ACCOUNTS, INITIAL_BALANCE,
        LOCK_SERVICE, LOCK_LEASE, LOCK_WAIT, DB, DB_USER, DB_PASSWORD, DB_POOL_SIZE));
    keys.addAll(ParticipantOptions.KEYS);
    return List.copyOf(keys);
  }

  public BankOptions {
    if (name.isBlank()) {
      throw new IllegalArgumentException("bank.name must not be blank");
    }
    if (accounts < 1 || initialBalance < 0) {
      throw new IllegalArgumentException("bank.accounts must be positive and bank.initial-balance not negative");
    }
    if (!db.equals("h2") && !db.equals("postgres") && !db.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("db must be h2, postgres or a jdbc:postgresql: URL, got '" + db + "'");
    }
  }

  public static BankOptions from(Config config) {
    return new BankOptions(config.get(NAME), config.get(HTTP_HOST), config.get(HTTP_PORT), config.get(ACCOUNTS),
        config.get(INITIAL_BALANCE), Endpoint.parse(config.get(LOCK_SERVICE)), config.get(LOCK_LEASE),
        config.get(LOCK_WAIT), config.get(DB), config.get(DB_USER), config.get(DB_PASSWORD), config.get(DB_POOL_SIZE),
        ParticipantOptions.from(config), TlsOptions.from(config), Policy.from(config));
  }
}
