package io.pledge.lock.config;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Every setting of the lock server, with its default. File, environment ({@code PLEDGE_LOCK_MAX_LEASE}) and flags
 * ({@code --lock.max-lease=30s}) map onto these keys (see {@link Config}).
 */
public final class LockServiceOptions {

  public static final ConfigKey<String> GRPC_HOST = ConfigKey.string("grpc.host", "127.0.0.1",
      "address the gRPC LockService listens on (0.0.0.0 for every interface)");
  public static final ConfigKey<Integer> GRPC_PORT = ConfigKey.integer("grpc.port", 7600,
      "gRPC port (0 picks a free port)");
  public static final ConfigKey<Integer> GRPC_EVENT_LOOPS = ConfigKey.integer("grpc.event-loops", 1,
      "event loops serving gRPC connections (0: one per CPU core); each client connection stays on one of them,"
          + " so more than one helps only with many clients and cores to spare");
  public static final ConfigKey<String> OPS_HOST = ConfigKey.string("ops.host", "127.0.0.1",
      "address of the /metrics and /health HTTP endpoint (0.0.0.0 for every interface)");
  public static final ConfigKey<Integer> OPS_PORT = ConfigKey.integer("ops.port", 7601,
      "port of the /metrics and /health HTTP endpoint (0 picks a free port)");
  public static final ConfigKey<Boolean> HAZELCAST_CLIENT = ConfigKey.bool("hazelcast.client", false,
      "join an existing Hazelcast cluster as a client instead of embedding a member; its members must have the"
          + " lock-service jar on their classpath (see docs/lock-service.md)");
  public static final ConfigKey<String> CLUSTER_NAME = ConfigKey.string("hazelcast.cluster-name", "pledge-locks",
      "Hazelcast cluster name");
  public static final ConfigKey<String> HAZELCAST_HOST = ConfigKey.string("hazelcast.host", "127.0.0.1",
      "address the embedded member binds to and announces");
  public static final ConfigKey<Integer> HAZELCAST_PORT = ConfigKey.integer("hazelcast.port", 5701,
      "port of the embedded member");
  public static final ConfigKey<String> MEMBERS = ConfigKey.string("hazelcast.members", "",
      "comma-separated host:port of the members to join (TCP-IP join; empty: a cluster of one); in client mode,"
          + " the members to connect to");
  public static final ConfigKey<Boolean> KUBERNETES = ConfigKey.bool("hazelcast.kubernetes", false,
      "discover members through Hazelcast's Kubernetes discovery instead of a member list");
  public static final ConfigKey<String> KUBERNETES_SERVICE = ConfigKey.string("hazelcast.kubernetes.service-name",
      "", "Kubernetes service whose endpoints are the members (empty: every pod in the namespace)");
  public static final ConfigKey<String> KUBERNETES_NAMESPACE = ConfigKey.string("hazelcast.kubernetes.namespace",
      "", "Kubernetes namespace (empty: the pod's own)");
  public static final ConfigKey<Integer> QUORUM = ConfigKey.integer("cluster.quorum", 1,
      "minimum members a side of the cluster needs to grant or renew (split-brain protection); set it to a majority"
          + " of the cluster, e.g. 2 of 3");
  public static final ConfigKey<Integer> BACKUPS = ConfigKey.integer("hazelcast.backup-count", 1,
      "synchronous backups of each lock (a grant is answered once they have it)");
  public static final ConfigKey<Duration> HEARTBEAT_TIMEOUT = ConfigKey.duration("hazelcast.heartbeat-timeout",
      Duration.ofSeconds(10), "a member silent this long is removed from the cluster");
  public static final ConfigKey<Duration> MAX_LEASE = ConfigKey.duration("lock.max-lease", Duration.ofSeconds(60),
      "longest lease a grant may ask for; also the base of the lock-delay after a cluster change");
  public static final ConfigKey<Duration> DEFAULT_LEASE = ConfigKey.duration("lock.default-lease",
      Duration.ofSeconds(30), "lease when a request gives none");
  public static final ConfigKey<Duration> MAX_WAIT = ConfigKey.duration("lock.max-wait", Duration.ofMinutes(10),
      "longest an Acquire may wait");
  public static final ConfigKey<Duration> DEFAULT_WAIT = ConfigKey.duration("lock.default-wait",
      Duration.ofSeconds(30), "wait when an Acquire gives none");
  public static final ConfigKey<Duration> DEADLOCK_TIMEOUT = ConfigKey.duration("lock.deadlock-timeout",
      Duration.ofSeconds(1), "how long a wait lasts before it enters the cluster's wait-for graph and is checked for"
          + " a deadlock; most waits end sooner (PostgreSQL's deadlock_timeout)");
  public static final ConfigKey<Duration> DELAY_MARGIN = ConfigKey.duration("lock.delay-margin",
      Duration.ofSeconds(2), "added to lock.max-lease for the lock-delay (covers clock drift and failure detection)");
  public static final ConfigKey<Boolean> DELAY_ON_START = ConfigKey.bool("lock.delay-on-start", true,
      "start-up grace: a member that starts as the first of its cluster (a single member, or a cluster that lost"
          + " every copy of the locks) makes no new grant for lock.max-lease + lock.delay-margin, while holders"
          + " re-assert their locks with their fencing tokens; false only for a cluster that cannot have lost locks"
          + " (a new one, or one living and dying with its clients)");

  /** The lock service's keys, then TLS's ({@link io.pledge.common.tls.TlsOptions#KEYS}). */
  public static final List<ConfigKey<?>> ALL = withTls(GRPC_HOST, GRPC_PORT, GRPC_EVENT_LOOPS, OPS_HOST, OPS_PORT,
      HAZELCAST_CLIENT, CLUSTER_NAME, HAZELCAST_HOST, HAZELCAST_PORT, MEMBERS, KUBERNETES, KUBERNETES_SERVICE,
      KUBERNETES_NAMESPACE, QUORUM, BACKUPS, HEARTBEAT_TIMEOUT, MAX_LEASE, DEFAULT_LEASE, MAX_WAIT, DEFAULT_WAIT,
      DEADLOCK_TIMEOUT, DELAY_MARGIN, DELAY_ON_START);

  private static List<ConfigKey<?>> withTls(ConfigKey<?>... own) {
    List<ConfigKey<?>> keys = new java.util.ArrayList<>(List.of(own));
    keys.addAll(io.pledge.common.tls.TlsOptions.KEYS);
    return List.copyOf(keys);
  }

  /**
   * A single member on loopback with gRPC and ops on free ports: for tests and the embedded demo.
   *
   * @param hazelcastPort the member's port (list each member; Hazelcast takes no ranges)
   */
  public static java.util.Map<String, String> loopbackMember(int hazelcastPort, String clusterName) {
    String member = "127.0.0.1:" + hazelcastPort;
    // No start-up grace: this member starts a new cluster of its own, for the life of its process (a test, the
    // embedded demo), so no lock can have been granted by an earlier incarnation.
    return java.util.Map.of(GRPC_HOST.name(), "127.0.0.1", GRPC_PORT.name(), "0", OPS_HOST.name(), "127.0.0.1",
        OPS_PORT.name(), "0", HAZELCAST_HOST.name(), "127.0.0.1", HAZELCAST_PORT.name(),
        Integer.toString(hazelcastPort), MEMBERS.name(), member, CLUSTER_NAME.name(), clusterName,
        DELAY_ON_START.name(), "false");
  }

  private LockServiceOptions() {}

  /** The member list as entries, without blanks. */
  public static List<String> members(Config config) {
    return Arrays.stream(config.get(MEMBERS).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** The lock-delay: the longest lease plus the margin. */
  public static Duration lockDelay(Config config) {
    return config.get(MAX_LEASE).plus(config.get(DELAY_MARGIN));
  }
}
