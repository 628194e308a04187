package io.pledge.participant.endpoint;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.tls.TlsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of a participant endpoint, in the same dotted key space as every Pledge server (file, environment,
 * flags: see {@link Config}).
 *
 * @param host interface the Participant gRPC service listens on
 * @param port its port; 0 picks a free one
 * @param advertisedEndpoint what the coordinator is told to call (host:port); empty means host and bound port
 * @param coordinators the coordinator's gRPC endpoint, or every member of a coordinator cluster: Enlist and
 *     GetOutcome then go to its leader, found from this list ({@link io.pledge.common.grpc.LeaderEndpoints})
 * @param dataDir directory of the participant log
 * @param rpcTimeout deadline of each call to the coordinator
 * @param recoveryInitialBackoff first wait between GetOutcome attempts for an in-doubt branch
 * @param recoveryMaxBackoff cap of that wait, which doubles after each attempt
 * @param activeTimeout how long a branch may be worked for without being prepared before it is rolled back here,
 *     at most (the transaction's own deadline, learnt at enlistment, usually ends it sooner)
 * @param silenceTimeout how long an open branch (worked for, or prepared) may hear nothing from the coordinator
 *     before this participant asks it for the outcome
 */
public record ParticipantOptions(String host, int port, Optional<Endpoint> advertisedEndpoint,
    List<Endpoint> coordinators, Path dataDir, Duration rpcTimeout, Duration recoveryInitialBackoff, Duration recoveryMaxBackoff,
    Duration activeTimeout, Duration silenceTimeout) {

  public static final ConfigKey<String> HOST =
      ConfigKey.string("participant.host", "127.0.0.1", "interface the Participant gRPC service listens on");
  public static final ConfigKey<Integer> PORT =
      ConfigKey.integer("participant.port", 0, "port of the Participant gRPC service (0: any free port)");
  public static final ConfigKey<String> ADVERTISED = ConfigKey.string("participant.advertised-endpoint", "",
      "host:port the coordinator calls back (empty: host and bound port)");
  public static final ConfigKey<String> COORDINATOR =
      ConfigKey.string("coordinator.endpoint", "127.0.0.1:7400", "the coordinator's gRPC endpoint (host:port), or a"
          + " coordinator cluster's members comma-separated (host:port,host:port,...): calls go to its leader");
  public static final ConfigKey<String> DATA_DIR =
      ConfigKey.string("participant.data.dir", "participant-data", "directory of the participant log (H2)");
  public static final ConfigKey<Duration> RPC_TIMEOUT =
      ConfigKey.duration("participant.rpc.timeout", Duration.ofSeconds(5), "deadline of each call to the coordinator");
  public static final ConfigKey<Duration> RECOVERY_INITIAL = ConfigKey.duration("participant.recovery.backoff.initial",
      Duration.ofMillis(100), "first wait between GetOutcome attempts for an in-doubt branch");
  public static final ConfigKey<Duration> RECOVERY_MAX = ConfigKey.duration("participant.recovery.backoff.max",
      Duration.ofSeconds(5), "cap of the wait between GetOutcome attempts (it doubles up to this)");

  public static final ConfigKey<Duration> ACTIVE_TIMEOUT = ConfigKey.duration("participant.active-timeout",
      Duration.ofMinutes(10), "a branch worked for but not prepared within this is rolled back locally");

  public static final ConfigKey<Duration> SILENCE_TIMEOUT = ConfigKey.duration("participant.recovery.silence",
      Duration.ofSeconds(10), "an open or prepared branch that hears nothing for this long asks the coordinator");

  /**
   * The participant's keys, then TLS's ({@link TlsOptions#KEYS}, read with {@link TlsOptions#from} and given to
   * {@link ParticipantNode.Builder#tls}).
   */
  public static final List<ConfigKey<?>> KEYS = withTls(HOST, PORT, ADVERTISED, COORDINATOR, DATA_DIR, RPC_TIMEOUT,
      RECOVERY_INITIAL, RECOVERY_MAX, ACTIVE_TIMEOUT, SILENCE_TIMEOUT);

  private static List<ConfigKey<?>> withTls(ConfigKey<?>... own) {
    List<ConfigKey<?>> keys = new java.util.ArrayList<>(List.of(own));
    keys.addAll(TlsOptions.KEYS);
    return List.copyOf(keys);
  }

  /** The defaults, with the coordinator and the log directory given: for embedding and tests. */
  public static ParticipantOptions defaults(Endpoint coordinator, Path dataDir) {
    return new ParticipantOptions(HOST.defaultValue(), PORT.defaultValue(), Optional.empty(), List.of(coordinator),
        dataDir,
        RPC_TIMEOUT.defaultValue(), RECOVERY_INITIAL.defaultValue(), RECOVERY_MAX.defaultValue(),
        ACTIVE_TIMEOUT.defaultValue(), SILENCE_TIMEOUT.defaultValue());
  }

  public ParticipantOptions withRecoveryBackoff(Duration initial, Duration max) {
    return new ParticipantOptions(host, port, advertisedEndpoint, coordinators, dataDir, rpcTimeout, initial, max,
        activeTimeout, silenceTimeout);
  }

  public ParticipantOptions withActiveTimeout(Duration timeout) {
    return new ParticipantOptions(host, port, advertisedEndpoint, coordinators, dataDir, rpcTimeout,
        recoveryInitialBackoff, recoveryMaxBackoff, timeout, silenceTimeout);
  }

  public ParticipantOptions withSilenceTimeout(Duration timeout) {
    return new ParticipantOptions(host, port, advertisedEndpoint, coordinators, dataDir, rpcTimeout,
        recoveryInitialBackoff, recoveryMaxBackoff, activeTimeout, timeout);
  }

  public ParticipantOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(advertisedEndpoint, "advertisedEndpoint");
    coordinators = List.copyOf(coordinators);
    if (coordinators.isEmpty()) {
      throw new IllegalArgumentException("coordinator.endpoint names no coordinator");
    }
    Objects.requireNonNull(dataDir, "dataDir");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("participant.port " + port + " is out of range 0..65535");
    }
    requirePositive(rpcTimeout, "participant.rpc.timeout");
    requirePositive(recoveryInitialBackoff, "participant.recovery.backoff.initial");
    requirePositive(recoveryMaxBackoff, "participant.recovery.backoff.max");
    requirePositive(activeTimeout, "participant.active-timeout");
    requirePositive(silenceTimeout, "participant.recovery.silence");
    if (recoveryMaxBackoff.compareTo(recoveryInitialBackoff) < 0) {
      throw new IllegalArgumentException("participant.recovery.backoff.max is below the initial backoff");
    }
  }

  /** The first of {@link #coordinators}: the coordinator, when it runs alone. */
  public Endpoint coordinator() {
    return coordinators.get(0);
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }

  public static ParticipantOptions from(Config config) {
    String advertised = config.get(ADVERTISED);
    return new ParticipantOptions(config.get(HOST), config.get(PORT),
        advertised.isBlank() ? Optional.empty() : Optional.of(Endpoint.parse(advertised)),
        LeaderEndpoints.parseList(config.get(COORDINATOR)), Path.of(config.get(DATA_DIR)), config.get(RPC_TIMEOUT),
        config.get(RECOVERY_INITIAL), config.get(RECOVERY_MAX), config.get(ACTIVE_TIMEOUT),
        config.get(SILENCE_TIMEOUT));
  }
}
