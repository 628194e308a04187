package io.pledge.coordinator.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A coordinator's place in a Raft group: its peers ({@code id@host:raftPort}, itself included), its own id, where
 * its Raft log and snapshots live, and the timing of elections and snapshots.
 *
 * @param clusterName the name in every transaction id the group's leaders issue ({@code node.id}): the same on
 *     every node, so that any leader answers for ids an earlier one issued
 */
public record ClusterOptions(String clusterName, List<Peer> peers, String nodeId, int raftPort, Path storageDir,
    Duration electionTimeout, int snapshotThreshold, int logSegmentSize) {

  /** One member of the group. */
  public record Peer(String id, String host, int raftPort) {
    private static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";

    public Peer {
      if (id == null || !id.matches(ID_PATTERN)) {
        throw new IllegalArgumentException("cluster peer id '" + id + "' must be letters, digits, '.', '_' or '-'"
            + " (at most 63), starting with a letter or digit");
      }
      Objects.requireNonNull(host, "host");
      if (raftPort < 1 || raftPort > 65535) {
        throw new IllegalArgumentException("cluster peer " + id + ": raft port " + raftPort + " is out of range"
            + " 1..65535");
      }
    }

    /** Parses {@code id@host:port}. */
    public static Peer parse(String text) {
      String t = text.trim();
      int at = t.indexOf('@');
      int colon = t.lastIndexOf(':');
      if (at < 1 || colon < at + 2 || colon == t.length() - 1) {
        throw new IllegalArgumentException("cluster peer '" + t + "' is not of the form id@host:raftPort");
      }
      int port;
      try {
        port = Integer.parseInt(t.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("cluster peer '" + t + "' has a non-numeric raft port");
      }
      return new Peer(t.substring(0, at), t.substring(at + 1, colon), port);
    }

    public String address() {
      return host + ":" + raftPort;
    }

    @Override
    public String toString() {
      return id + "@" + address();
    }
  }

  public ClusterOptions {
    peers = List.copyOf(peers);
    Set<String> ids = new HashSet<>();
    for (Peer p : peers) {
      if (!ids.add(p.id())) {
        throw new IllegalArgumentException("cluster.peers names " + p.id() + " twice");
      }
    }
    if (!ids.contains(nodeId)) {
      throw new IllegalArgumentException("cluster.node-id '" + nodeId + "' is not among cluster.peers " + peers);
    }
    if (peers.size() % 2 == 0) {
      throw new IllegalArgumentException("cluster.peers has " + peers.size() + " members: use an odd number (3 or 5),"
          + " an even one tolerates no more failures than one fewer");
    }
    if (raftPort < 0 || raftPort > 65535) {
      throw new IllegalArgumentException("cluster.raft-port " + raftPort + " is out of range 0..65535");
    }
    if (electionTimeout.toMillis() < 50) {
      throw new IllegalArgumentException("cluster.election-timeout must be at least 50ms");
    }
    if (snapshotThreshold < 1) {
      throw new IllegalArgumentException("cluster.snapshot-threshold must be positive");
    }
    if (logSegmentSize < 64 * 1024) {
      throw new IllegalArgumentException("cluster.log-segment-size must be at least 65536 bytes");
    }
  }

  /** Parses the comma-separated {@code cluster.peers}; empty when the coordinator runs alone. */
  public static List<Peer> parsePeers(String text) {
    List<Peer> peers = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return peers;
    }
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        peers.add(Peer.parse(part));
      }
    }
    return peers;
  }

  public Peer self() {
    return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
  }

  /** The port Raft listens on: {@code cluster.raft-port}, or this node's port in {@code cluster.peers}. */
  public int effectiveRaftPort() {
    return raftPort != 0 ? raftPort : self().raftPort();
  }
}
