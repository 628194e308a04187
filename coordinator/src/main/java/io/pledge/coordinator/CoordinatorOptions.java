package io.pledge.coordinator;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.durable.DurableStore;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.protocol.Limits;
import io.pledge.coordinator.cluster.ClusterOptions;
import io.pledge.coordinator.protocol.ProtocolSettings;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.transport.EndpointAllowList;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Every setting of the coordinator, with its default. {@code --help} prints this table. */
public record CoordinatorOptions(String nodeId, String host, int grpcPort, int httpPort, Path dataDir,
    int logMaxBatch, Duration logCommitDelay, Duration logRetention, Duration purgeInterval, ProtocolSettings protocol,
    Optional<Endpoint> lockService, int maxConcurrentStreams, Limits limits, EndpointAllowList endpointAllow,
    int maxParticipantSeries, Optional<ClusterOptions> cluster, java.util.OptionalInt adminPort, int eventLoops) {

  public static final ConfigKey<String> NODE_ID = ConfigKey.string("node.id", "coord-0",
      "this coordinator's id: the first part of every transaction id it issues; keep it stable across restarts");
  public static final ConfigKey<String> HOST = ConfigKey.string("host", "127.0.0.1",
      "address the gRPC and HTTP servers bind to (0.0.0.0 for every interface)");
  public static final ConfigKey<Integer> GRPC_PORT = ConfigKey.integer("grpc.port", 7400,
      "gRPC port of the TransactionCoordinator service (0 picks a free port)");
  public static final ConfigKey<Integer> HTTP_PORT = ConfigKey.integer("http.port", 7401,
      "HTTP port of /metrics and /health (0 picks a free port)");
  public static final ConfigKey<String> ADMIN_PORT = ConfigKey.string("admin.port", "",
      "serve CoordinatorAdmin on this port only (0 picks a free port), with the same TLS and policy; empty: on"
          + " grpc.port beside the TransactionCoordinator");
  public static final ConfigKey<String> DATA_DIR = ConfigKey.string("data.dir", "data/coordinator",
      "directory of the transaction log (an H2 database)");
  public static final ConfigKey<Duration> DEFAULT_TX_TIMEOUT = ConfigKey.duration("tx.default-timeout",
      Duration.ofSeconds(60), "lifetime of a transaction whose Begin asks for none; expired ones are aborted");
  public static final ConfigKey<Duration> MAX_TX_TIMEOUT = ConfigKey.duration("tx.max-timeout",
      Duration.ofHours(1), "longest lifetime a Begin may ask for");
  public static final ConfigKey<Duration> PREPARE_TIMEOUT = ConfigKey.duration("tx.prepare-timeout",
      Duration.ofSeconds(10), "how long votes are awaited; a missing vote then counts as no");
  public static final ConfigKey<Duration> CALL_TIMEOUT = ConfigKey.duration("participant.call-timeout",
      Duration.ofSeconds(5), "deadline of one phase-2 call to a participant before it is retried");
  public static final ConfigKey<Duration> RETRY_BASE = ConfigKey.duration("participant.retry-base",
      Duration.ofMillis(100), "first delay before a phase-2 call is retried; doubles per attempt");
  public static final ConfigKey<Duration> RETRY_CAP = ConfigKey.duration("participant.retry-cap",
      Duration.ofSeconds(30), "longest delay between phase-2 retries");
  public static final ConfigKey<Integer> LOG_MAX_BATCH = ConfigKey.integer("log.max-batch", 1024,
      "most records committed (and synced) together by the log writer");
  public static final ConfigKey<Duration> LOG_COMMIT_DELAY = ConfigKey.duration("log.commit-delay",
      DurableStore.DEFAULT_COMMIT_DELAY, "under load (5+ records per sync), how long a forced record waits for more"
          + " to share its sync; 0 turns it off");
  public static final ConfigKey<Duration> LOG_RETENTION = ConfigKey.duration("log.retention", Duration.ofDays(7),
      "how long finished transactions stay in the log before they are purged");
  public static final ConfigKey<Duration> PURGE_INTERVAL = ConfigKey.duration("log.purge-interval",
      Duration.ofMinutes(1), "how often finished transactions past the retention are purged");
  public static final ConfigKey<Duration> FINISHED_IN_MEMORY = ConfigKey.duration("memory.finished-retention",
      Duration.ofMinutes(1), "how long finished transactions stay in memory (later lookups read the log)");
  public static final ConfigKey<Integer> MAX_FINISHED_IN_MEMORY = ConfigKey.integer("memory.max-finished", 2_000,
      "most finished transactions kept in memory (older ones are answered from the log)");
  public static final ConfigKey<Integer> MAX_CONCURRENT_STREAMS = ConfigKey.integer("grpc.max-concurrent-streams",
      GrpcTransport.DEFAULT_MAX_CONCURRENT_STREAMS, "HTTP/2 streams one client connection may have open at once");
  public static final ConfigKey<Integer> MAX_OPEN = ConfigKey.integer("limits.open-transactions",
      Limits.DEFAULT.openTransactions(), "most unfinished transactions held at once, all callers together; past it"
          + " Begin gets RESOURCE_EXHAUSTED");
  public static final ConfigKey<Integer> MAX_OPEN_PER_CALLER = ConfigKey.integer(
      "limits.open-transactions-per-caller", Limits.DEFAULT.openPerCaller(),
      "most unfinished transactions begun by one caller (remote host); past it Begin gets RESOURCE_EXHAUSTED");
  public static final ConfigKey<Integer> MAX_PARTICIPANTS = ConfigKey.integer("limits.participants-per-transaction",
      Limits.DEFAULT.participantsPerTransaction(), "most participants one transaction may enlist; past it Enlist"
          + " gets RESOURCE_EXHAUSTED");
  public static final ConfigKey<Integer> MAX_LABEL_BYTES = ConfigKey.integer("limits.label-bytes",
      Limits.DEFAULT.labelBytes(), "most UTF-8 bytes of one transaction's label keys and values together; past it"
          + " Begin gets RESOURCE_EXHAUSTED");
  public static final ConfigKey<String> ENDPOINT_ALLOW = ConfigKey.string("participant.endpoint-allow", "*",
      "comma-separated host or host:port patterns ('*' matches any run of characters) an Enlist endpoint must"
          + " match; '*' allows every endpoint");
  public static final ConfigKey<Integer> MAX_PARTICIPANT_SERIES = ConfigKey.integer("metrics.max-participant-series",
      50, "participants with their own prepare-latency series on /metrics; later ones share participant=\"other\"");

  public static final ConfigKey<String> LOCK_SERVICE = ConfigKey.string("locks.endpoint", "",
      "host:port of the lock service; when set, a finished transaction's locks (owner = tx id) are released there");

  public static final ConfigKey<String> CLUSTER_PEERS = ConfigKey.string("cluster.peers", "",
      "the coordinator cluster, comma-separated id@host:raftPort (itself included, 3 or 5 members); empty runs a"
          + " single coordinator. node.id then names the cluster: the same on every member");
  public static final ConfigKey<String> CLUSTER_NODE_ID = ConfigKey.string("cluster.node-id", "",
      "this member's id in cluster.peers");
  public static final ConfigKey<Integer> CLUSTER_RAFT_PORT = ConfigKey.integer("cluster.raft-port", 0,
      "port the Raft server listens on; 0 takes this member's port from cluster.peers");
  public static final ConfigKey<String> CLUSTER_STORAGE_DIR = ConfigKey.string("cluster.storage-dir", "",
      "directory of the Raft log and snapshots; empty is data.dir/raft");
  public static final ConfigKey<Duration> CLUSTER_ELECTION_TIMEOUT = ConfigKey.duration("cluster.election-timeout",
      Duration.ofMillis(500), "a follower that hears no leader for this long (up to twice it, at random) starts an"
          + " election");
  public static final ConfigKey<Integer> CLUSTER_SNAPSHOT_THRESHOLD = ConfigKey.integer("cluster.snapshot-threshold",
      10_000, "Raft entries after which a snapshot of the H2 log is taken and the Raft log before it is purged");
  public static final ConfigKey<Integer> CLUSTER_LOG_SEGMENT_SIZE = ConfigKey.integer("cluster.log-segment-size",
      8 * 1024 * 1024, "bytes of one Raft log segment file (purging removes whole segments)");
  public static final ConfigKey<Integer> EVENT_LOOPS = ConfigKey.integer("server.event-loops", 1,
      "transaction managers, each on its own event loop, transactions spread over them by id; 1 runs everything on"
          + " one event loop; 0 takes the cores, at most 4");

  /** The coordinator's keys, then TLS's ({@link TlsOptions#KEYS}: read by {@link CoordinatorServer}). */
  public static final List<ConfigKey<?>> KEYS = withTls(NODE_ID, HOST, GRPC_PORT, HTTP_PORT, ADMIN_PORT, DATA_DIR,
      DEFAULT_TX_TIMEOUT, MAX_TX_TIMEOUT, PREPARE_TIMEOUT, CALL_TIMEOUT, RETRY_BASE, RETRY_CAP, LOG_MAX_BATCH,
      LOG_COMMIT_DELAY, LOG_RETENTION, PURGE_INTERVAL, FINISHED_IN_MEMORY, MAX_FINISHED_IN_MEMORY, LOCK_SERVICE,
      MAX_CONCURRENT_STREAMS, MAX_OPEN, MAX_OPEN_PER_CALLER, MAX_PARTICIPANTS, MAX_LABEL_BYTES, ENDPOINT_ALLOW,
      MAX_PARTICIPANT_SERIES, CLUSTER_PEERS, CLUSTER_NODE_ID, CLUSTER_RAFT_PORT, CLUSTER_STORAGE_DIR,
      CLUSTER_ELECTION_TIMEOUT, CLUSTER_SNAPSHOT_THRESHOLD, CLUSTER_LOG_SEGMENT_SIZE, EVENT_LOOPS);

  private static List<ConfigKey<?>> withTls(ConfigKey<?>... own) {
    List<ConfigKey<?>> keys = new java.util.ArrayList<>(List.of(own));
    keys.addAll(TlsOptions.KEYS);
    return List.copyOf(keys);
  }

  public CoordinatorOptions {
    if (!TxId.isValidNode(nodeId)) {
      throw new IllegalArgumentException("node.id '" + nodeId + "' must be letters, digits, '.', '_' or '-'"
          + " (at most 63), starting with a letter or digit");
    }
    checkPort("grpc.port", grpcPort);
    checkPort("http.port", httpPort);
    if (adminPort.isPresent()) {
      checkPort("admin.port", adminPort.getAsInt());
    }
    if (logMaxBatch < 1) {
      throw new IllegalArgumentException("log.max-batch must be positive");
    }
    if (logCommitDelay.isNegative()) {
      throw new IllegalArgumentException("log.commit-delay must not be negative");
    }
    if (maxConcurrentStreams < 1) {
      throw new IllegalArgumentException("grpc.max-concurrent-streams must be positive");
    }
    if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
      throw new IllegalArgumentException("server.event-loops " + eventLoops + " is out of range 1.." + MAX_EVENT_LOOPS
          + " (0 takes the cores, at most 4)");
    }
    if (maxParticipantSeries < 0) {
      throw new IllegalArgumentException("metrics.max-participant-series must not be negative");
    }
  }

  /** @throws IllegalArgumentException or {@link io.pledge.common.config.ConfigException} for an unusable setting */
  public static CoordinatorOptions from(Config c) {
    ProtocolSettings protocol = new ProtocolSettings(c.get(DEFAULT_TX_TIMEOUT), c.get(MAX_TX_TIMEOUT),
        c.get(PREPARE_TIMEOUT), c.get(CALL_TIMEOUT), c.get(RETRY_BASE), c.get(RETRY_CAP), c.get(FINISHED_IN_MEMORY),
        c.get(MAX_FINISHED_IN_MEMORY));
    Path dataDir = Path.of(c.get(DATA_DIR));
    return new CoordinatorOptions(c.get(NODE_ID), c.get(HOST), c.get(GRPC_PORT), c.get(HTTP_PORT),
        dataDir, c.get(LOG_MAX_BATCH), c.get(LOG_COMMIT_DELAY), c.get(LOG_RETENTION),
        c.get(PURGE_INTERVAL), protocol,
        c.get(LOCK_SERVICE).isBlank() ? Optional.empty() : Optional.of(Endpoint.parse(c.get(LOCK_SERVICE))),
        c.get(MAX_CONCURRENT_STREAMS), limits(c), EndpointAllowList.parse(c.get(ENDPOINT_ALLOW)),
        c.get(MAX_PARTICIPANT_SERIES), cluster(c, dataDir), adminPort(c.get(ADMIN_PORT)),
        eventLoops(c.get(EVENT_LOOPS)));
  }

  /** Most transaction managers: past the event loops Vert.x starts by default (twice the cores), they share loops. */
  static final int MAX_EVENT_LOOPS = 64;

  private static int eventLoops(int setting) {
    if (setting < 0) {
      throw new IllegalArgumentException("server.event-loops " + setting + " is negative (0 takes the cores, at most"
          + " 4)");
    }
    return setting == 0 ? io.pledge.coordinator.protocol.TransactionManagers.defaultCount() : setting;
  }

  private static Limits limits(Config c) {
    try {
      return new Limits(c.get(MAX_OPEN), c.get(MAX_OPEN_PER_CALLER), c.get(MAX_PARTICIPANTS), c.get(MAX_LABEL_BYTES));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("limits.open-transactions, limits.open-transactions-per-caller and"
          + " limits.participants-per-transaction must be positive, limits.label-bytes not negative");
    }
  }

  private static Optional<ClusterOptions> cluster(Config c, Path dataDir) {
    List<ClusterOptions.Peer> peers = ClusterOptions.parsePeers(c.get(CLUSTER_PEERS));
    if (peers.isEmpty()) {
      return Optional.empty();
    }
    if (c.get(CLUSTER_NODE_ID).isBlank()) {
      throw new IllegalArgumentException("cluster.peers is set: cluster.node-id must name this member among them");
    }
    Path storage = c.get(CLUSTER_STORAGE_DIR).isBlank() ? dataDir.resolve("raft") : Path.of(c.get(CLUSTER_STORAGE_DIR));
    return Optional.of(new ClusterOptions(c.get(NODE_ID), peers, c.get(CLUSTER_NODE_ID), c.get(CLUSTER_RAFT_PORT),
        storage, c.get(CLUSTER_ELECTION_TIMEOUT), c.get(CLUSTER_SNAPSHOT_THRESHOLD), c.get(CLUSTER_LOG_SEGMENT_SIZE)));
  }

  private static java.util.OptionalInt adminPort(String text) {
    if (text.isBlank()) {
      return java.util.OptionalInt.empty();
    }
    try {
      return java.util.OptionalInt.of(Integer.parseInt(text.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("admin.port '" + text + "' is not a port number (or empty: on grpc.port)");
    }
  }

  private static void checkPort(String key, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(key + " " + port + " is out of range 0..65535");
    }
  }
}
