package io.pledge.coordinator.cluster;

import io.pledge.common.tls.FollowingManagers;
import io.pledge.coordinator.log.H2TxLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This coordinator's member of the Raft group (Apache Ratis over its gRPC transport): the server, its state machine
 * over the node's H2 log, and proposals of entries as the leader. The group id derives from the cluster name, so
 * every node computes the same one.
 */
public final class RaftNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
  /** A proposal not committed within this is failed (the leader may have lost its majority). */
  private static final long PROPOSAL_TIMEOUT_MS = 10_000;

  private final ClusterOptions options;
  private final H2TxLog h2;
  private final CoordinatorStateMachine stateMachine;
  private final RaftServer server;
  private final RaftGroupId groupId;
  private final RaftGroup group;
  private final RaftProperties props;
  /** Ratis' transport parameters: TLS between members when set. */
  private final Parameters parameters;
  private final RaftPeerId selfId;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  /** Entries a follower may be behind the leader's commit and still read ready (see followerCaughtUp). */
  static final long READY_SLACK_ENTRIES = 100;

  private RaftNode(ClusterOptions options, H2TxLog h2, CoordinatorStateMachine stateMachine, RaftServer server,
      RaftGroup group, RaftProperties props, Parameters parameters) {
    this.options = options;
    this.group = group;
    this.props = props;
    this.parameters = parameters;
    this.h2 = h2;
    this.stateMachine = stateMachine;
    this.server = server;
    this.groupId = group.getGroupId();
    this.selfId = RaftPeerId.valueOf(options.nodeId());
  }

  /** Starts the member over {@code h2} with plaintext between members (see below). */
  public static RaftNode start(ClusterOptions options, H2TxLog h2) throws IOException {
    return start(options, h2, Optional.empty());
  }

  /**
   * Starts the member over {@code h2} (blocking: storage recovery and the replay of the log run here); with
   * {@code tls}, members speak Raft over mutual TLS 1.3 and accept only peers whose certificate the managers accept
   * (the coordinator role).
   */
  public static RaftNode start(ClusterOptions options, H2TxLog h2, Optional<FollowingManagers> tls)
      throws IOException {
    Parameters parameters = new Parameters();
    tls.ifPresent(t -> GrpcConfigKeys.TLS.setConf(parameters,
        new GrpcTlsConfig(t.keyManager(), t.trustManager(), true)));
    RaftProperties props = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(props, java.util.List.of(options.storageDir().toFile()));
    GrpcConfigKeys.Server.setPort(props, options.effectiveRaftPort());
    long min = options.electionTimeout().toMillis();
    RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(min, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2 * min, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, options.snapshotThreshold());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
    // Purge whenever a snapshot allows it (by default Ratis waits for 1024 entries beyond the log's start).
    RaftServerConfigKeys.Log.setPurgeGap(props, Math.min(1024, options.snapshotThreshold()));
    RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf(options.logSegmentSize()));
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(props, true);

    RaftGroupId groupId = RaftGroupId.valueOf(
        UUID.nameUUIDFromBytes(("pledge-coordinator/" + options.clusterName()).getBytes(StandardCharsets.UTF_8)));
    RaftGroup group = RaftGroup.valueOf(groupId, options.peers().stream()
        .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build()).toList());
    CoordinatorStateMachine stateMachine = new CoordinatorStateMachine(h2);
    RaftServer server = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf(options.nodeId())).setGroup(group)
        .setStateMachine(stateMachine).setProperties(props).setParameters(parameters)
        .setOption(RaftStorage.StartupOption.RECOVER).build();
    server.start();
    LOG.atInfo().addKeyValue("node", options.nodeId()).addKeyValue("peers", options.peers())
        .addKeyValue("raftPort", options.effectiveRaftPort()).log("raft member started");
    return new RaftNode(options, h2, stateMachine, server, group, props, parameters);
  }

  /**
   * Proposes an entry as the leader; completes with the state machine's reply once a majority has the entry in its
   * synced log and this node applied it. Fails when this node is not the leader (nothing is forwarded: a deposed
   * leader must not get its records into the log through another) or the entry is not committed in time.
   */
  public CompletableFuture<byte[]> propose(byte[] entry) {
    RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(selfId)
        .setGroupId(groupId).setCallId(callIds.incrementAndGet()).setMessage(Message.valueOf(ByteString.copyFrom(entry)))
        .setType(RaftClientRequest.writeRequestType()).build();
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = server.submitClientRequestAsync(request);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return reply.orTimeout(PROPOSAL_TIMEOUT_MS, TimeUnit.MILLISECONDS).thenApply(r -> {
      if (!r.isSuccess()) {
        throw new CompletionException(r.getException() != null ? r.getException()
            : new IOException("the entry was not committed"));
      }
      return r.getMessage().getContent().toByteArray();
    });
  }

  /** Leader, and its first entry of the term is committed (everything earlier is too). */
  public boolean isLeaderReady() {
    DivisionInfo info = info();
    return info != null && info.isLeader() && info.isLeaderReady();
  }

  public boolean isLeader() {
    DivisionInfo info = info();
    return info != null && info.isLeader();
  }

  public long term() {
    DivisionInfo info = info();
    return info == null ? 0 : info.getCurrentTerm();
  }

  public Optional<String> leaderId() {
    DivisionInfo info = info();
    return info == null || info.getLeaderId() == null ? Optional.empty()
        : Optional.of(info.getLeaderId().toString());
  }

  /** The gRPC endpoint of the current leader, once its epoch record was applied here. */
  public Optional<String> leaderEndpoint() {
    return leaderId().flatMap(stateMachine::endpointOf);
  }

  public long lastAppliedIndex() {
    DivisionInfo info = info();
    return info == null ? -1 : info.getLastAppliedIndex();
  }

  public long commitIndex() {
    try {
      return server.getDivision(groupId).getRaftLog().getLastCommittedIndex();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The leader's commit index as this member last heard it (Ratis sends the group's commit infos with its append
   * requests), or -1 when it knows no leader or has heard nothing from it yet. Unlike {@link #commitIndex()}, it
   * counts entries this member's log does not hold yet: how far behind a member catching up really is.
   */
  public long leaderCommitIndex() {
    Optional<String> leader = leaderId();
    if (leader.isEmpty()) {
      return -1;
    }
    try {
      for (org.apache.ratis.proto.RaftProtos.CommitInfoProto c : server.getDivision(groupId).getCommitInfos()) {
        if (RaftPeerId.valueOf(c.getServer().getId()).toString().equals(leader.get())) {
          return c.getCommitIndex();
        }
      }
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * A member that does not lead is ready to answer (/health/ready) once it knows a leader and has applied what
   * the leader had committed when it last heard from it, within {@code slack} entries (so that steady replication
   * under load, always a few entries behind, does not flap it). Pure, for the test.
   */
  public static boolean followerCaughtUp(boolean knowsLeader, long applied, long ownCommit, long leaderCommit,
      long slack) {
    return knowsLeader && applied >= ownCommit && leaderCommit >= 0 && applied >= leaderCommit - slack;
  }

  /** {@link #followerCaughtUp} for this member now. */
  public boolean followerCaughtUp() {
    return followerCaughtUp(leaderId().isPresent(), lastAppliedIndex(), commitIndex(), leaderCommitIndex(),
        READY_SLACK_ENTRIES);
  }

  /**
   * How many times this member's Raft log was synced (Ratis' own {@code log_worker} flush count): with group
   * commit, many entries and many transactions share one. Ratis keeps its metrics per JVM, keyed by member.
   */
  public long logSyncs() {
    long syncs = 0;
    for (org.apache.ratis.metrics.RatisMetricRegistry registry
        : org.apache.ratis.metrics.MetricRegistries.global().getMetricRegistries()) {
      org.apache.ratis.metrics.MetricRegistryInfo info = registry.getMetricRegistryInfo();
      if ("log_worker".equals(info.getMetricsComponentName()) && info.getPrefix().contains(options.nodeId() + "@")) {
        syncs += registry.counter("flushCount").getCount();
      }
    }
    return syncs;
  }

  /** One member as the leader sees it. */
  public record MemberStatus(String id, String raftAddress, boolean leader, long matchIndex, long lag,
      long lastContactMillis) {}

  /** The group as this member sees it; followers' progress only when it leads. */
  public record Status(String leaderId, long term, long commitIndex, long appliedIndex, List<MemberStatus> members) {}

  public Status status() {
    DivisionInfo info = info();
    long commit = commitIndex();
    Map<String, long[]> followers = new HashMap<>();
    if (info != null && info.isLeader()) {
      List<org.apache.ratis.proto.RaftProtos.ServerRpcProto> rpcs = info.getRoleInfoProto().getLeaderInfo()
          .getFollowerInfoList();
      long[] match = info.getFollowerMatchIndices();
      for (int i = 0; i < Math.min(rpcs.size(), match.length); i++) {
        followers.put(rpcs.get(i).getId().getId().toStringUtf8(),
            new long[] {match[i], rpcs.get(i).getLastRpcElapsedTimeMs()});
      }
    }
    String leader = leaderId().orElse("");
    List<MemberStatus> members = new ArrayList<>();
    for (ClusterOptions.Peer p : options.peers()) {
      boolean isLeader = p.id().equals(leader);
      long[] f = followers.get(p.id());
      long matchIndex = isLeader && p.id().equals(options.nodeId()) ? lastIndex() : f == null ? -1 : f[0];
      members.add(new MemberStatus(p.id(), p.address(), isLeader, matchIndex,
          matchIndex < 0 ? -1 : Math.max(0, commit - matchIndex), f == null ? 0 : f[1]));
    }
    return new Status(leader, term(), commit, lastAppliedIndex(), members);
  }

  /**
   * On the leader: the leader's commit index minus {@code peerId}'s match index (0 when caught up); NaN on a member
   * that does not lead, or for a follower the leader has no progress of yet.
   */
  public double followerLag(String peerId) {
    DivisionInfo info = info();
    if (info == null || !info.isLeader()) {
      return Double.NaN;
    }
    List<org.apache.ratis.proto.RaftProtos.ServerRpcProto> rpcs = info.getRoleInfoProto().getLeaderInfo()
        .getFollowerInfoList();
    long[] match = info.getFollowerMatchIndices();
    for (int i = 0; i < Math.min(rpcs.size(), match.length); i++) {
      if (rpcs.get(i).getId().getId().toStringUtf8().equals(peerId)) {
        return Math.max(0, commitIndex() - match[i]);
      }
    }
    return Double.NaN;
  }

  private long lastIndex() {
    try {
      return server.getDivision(groupId).getRaftLog().getLastEntryTermIndex().getIndex();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The first index still in this member's Raft log (above 0 once a snapshot let it purge the log before). */
  public long logStartIndex() {
    try {
      return server.getDivision(groupId).getRaftLog().getStartIndex();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Index of the latest snapshot; -1 when none was taken. */
  public long snapshotIndex() {
    org.apache.ratis.statemachine.SnapshotInfo latest = stateMachine.getLatestSnapshot();
    return latest == null ? -1 : latest.getIndex();
  }

  public String nodeId() {
    return options.nodeId();
  }

  public long entriesApplied() {
    return stateMachine.entriesApplied();
  }

  public long snapshotsInstalled() {
    return stateMachine.snapshotsInstalled();
  }

  /**
   * Asks the group to hand the leadership to {@code peerId} (Raft's leadership transfer: the leader brings it up
   * to date, then lets it start an election at once). Blocking.
   */
  public void transferLeadership(String peerId, java.time.Duration timeout) throws IOException {
    try (org.apache.ratis.client.RaftClient client = org.apache.ratis.client.RaftClient.newBuilder()
        .setRaftGroup(group).setProperties(props).setParameters(parameters).build()) {
      RaftClientReply reply = client.admin().transferLeadership(RaftPeerId.valueOf(peerId), timeout.toMillis());
      if (!reply.isSuccess()) {
        throw new IOException("leadership transfer to " + peerId + " failed: " + reply.getException());
      }
    }
  }

  /** Takes a snapshot now (tests, operators); answers its index. */
  public long takeSnapshot() throws IOException {
    return stateMachine.takeSnapshot();
  }

  public H2TxLog h2() {
    return h2;
  }

  private DivisionInfo info() {
    try {
      return server.getDivision(groupId).getInfo();
    } catch (IOException e) {
      return null;
    }
  }

  /** Stops the member, then closes its H2 log. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("closing the raft server failed", e);
    } finally {
      h2.close();
    }
  }
}
