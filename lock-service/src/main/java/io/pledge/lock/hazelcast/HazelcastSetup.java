package io.pledge.lock.hazelcast;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.pledge.lock.config.LockServiceOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Builds the Hazelcast member and client configurations from the lock server's settings. */
public final class HazelcastSetup {

  public static final String QUORUM_NAME = "pledge-lock-quorum";

  private HazelcastSetup() {}

  /**
   * An embedded member: TCP-IP join with the given list (or Kubernetes discovery), multicast off, sync backups,
   * split-brain protection on the three maps, the lock-delay guard in the user context and fed by membership changes,
   * and the member's authority (kept alive by an {@link AuthorityKeeper} the caller starts).
   */
  public static Config member(io.pledge.common.config.Config options, LockGuard guard, MemberAuthority authority) {
    Config c = new Config();
    c.setClusterName(options.get(LockServiceOptions.CLUSTER_NAME));
    String host = options.get(LockServiceOptions.HAZELCAST_HOST);
    int port = options.get(LockServiceOptions.HAZELCAST_PORT);
    commonProperties(c, options);
    c.setProperty("hazelcast.local.localAddress", host);
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
    JoinConfig join = c.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (options.get(LockServiceOptions.KUBERNETES)) {
      var k8s = join.getKubernetesConfig().setEnabled(true);
      setIfPresent(k8s::setProperty, "service-name", options.get(LockServiceOptions.KUBERNETES_SERVICE));
      setIfPresent(k8s::setProperty, "namespace", options.get(LockServiceOptions.KUBERNETES_NAMESPACE));
    } else {
      List<String> members = new ArrayList<>(LockServiceOptions.members(options));
      if (members.isEmpty()) {
        members.add(host + ":" + port);
      }
      join.getTcpIpConfig().setEnabled(true).setMembers(members);
    }
    int quorum = options.get(LockServiceOptions.QUORUM);
    // A quorum of 1 protects nothing, and Hazelcast reports it absent until the first heartbeat: leave it out.
    if (quorum > 1) {
      c.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM_NAME, true, quorum)
          .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
    }
    int backups = options.get(LockServiceOptions.BACKUPS);
    // The owner index is kept like the locks (same backups, same quorum): it must outlive a member as they do.
    for (String map : List.of(HazelcastLockStore.LOCKS_MAP, HazelcastLockStore.WAITS_MAP,
        HazelcastLockStore.OWNERS_MAP)) {
      c.addMapConfig(new MapConfig(map).setBackupCount(backups).setAsyncBackupCount(0)
          .setInMemoryFormat(com.hazelcast.config.InMemoryFormat.OBJECT)
          .setSplitBrainProtectionName(quorum > 1 ? QUORUM_NAME : null));
    }
    CompactCodecs.register(c.getSerializationConfig());
    ConcurrentHashMap<String, Object> userContext = new ConcurrentHashMap<>();
    userContext.put(LockGuard.USER_CONTEXT_KEY, guard);
    userContext.put(MemberAuthority.USER_CONTEXT_KEY, authority);
    c.setUserContext(userContext);
    c.addListenerConfig(new ListenerConfig(new GuardTrigger(guard)));
    return c;
  }

  /** A client of an existing cluster whose members carry the lock-service classes and codecs. */
  public static ClientConfig client(io.pledge.common.config.Config options) {
    ClientConfig c = new ClientConfig();
    c.setClusterName(options.get(LockServiceOptions.CLUSTER_NAME));
    c.setProperty("hazelcast.logging.type", "slf4j");
    if (options.get(LockServiceOptions.KUBERNETES)) {
      var k8s = c.getNetworkConfig().getKubernetesConfig().setEnabled(true);
      setIfPresent(k8s::setProperty, "service-name", options.get(LockServiceOptions.KUBERNETES_SERVICE));
      setIfPresent(k8s::setProperty, "namespace", options.get(LockServiceOptions.KUBERNETES_NAMESPACE));
    } else {
      List<String> members = LockServiceOptions.members(options);
      c.getNetworkConfig().setAddresses(members.isEmpty() ? List.of("127.0.0.1:5701") : members);
    }
    CompactCodecs.register(c.getSerializationConfig());
    return c;
  }

  private static void commonProperties(Config c, io.pledge.common.config.Config options) {
    long heartbeatTimeout = Math.max(2, options.get(LockServiceOptions.HEARTBEAT_TIMEOUT).toSeconds());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    c.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(heartbeatTimeout));
    c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
  }

  private interface PropertySetter {
    Object set(String name, String value);
  }

  private static void setIfPresent(PropertySetter setter, String name, String value) {
    if (value != null && !value.isBlank()) {
      setter.set(name, value);
    }
  }

  /**
   * Opens the lock-delay window on every membership change this member sees (its own arrival is not one: whether a
   * starting member delays is decided where it starts, see LockServer).
   */
  private record GuardTrigger(LockGuard guard) implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {
      if (!event.getMember().localMember()) {
        guard.onClusterChange();
      }
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      guard.onClusterChange();
    }
  }
}
