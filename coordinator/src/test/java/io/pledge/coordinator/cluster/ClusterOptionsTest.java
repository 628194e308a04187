package io.pledge.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cluster settings: parsed from the same keys as the rest, refused with a message that names the setting. */
class ClusterOptionsTest {

  static CoordinatorOptions options(Map<String, String> settings) {
    return CoordinatorOptions.from(Config.of(CoordinatorOptions.KEYS, settings));
  }

  @Test
  void noPeersIsASingleCoordinator() {
    assertTrue(options(Map.of()).cluster().isEmpty());
  }

  @Test
  void peersMakeAMemberWithItsStorageUnderTheDataDir() {
    ClusterOptions c = options(Map.of("cluster.peers", "n0@10.0.0.1:7410, n1@10.0.0.2:7410,n2@10.0.0.3:7411",
        "cluster.node-id", "n2", "data.dir", "/var/pledge")).cluster().orElseThrow();
    assertEquals(3, c.peers().size());
    assertEquals(7411, c.effectiveRaftPort());
    assertEquals(Path.of("/var/pledge/raft"), c.storageDir());
    assertEquals("coord-0", c.clusterName());
  }

  @Test
  void badClustersAreRefusedWithTheReason() {
    assertMessage("not among cluster.peers", Map.of("cluster.peers", "n0@h:1,n1@h:2,n2@h:3", "cluster.node-id", "n9"));
    assertMessage("cluster.node-id must name", Map.of("cluster.peers", "n0@h:1,n1@h:2,n2@h:3"));
    assertMessage("use an odd number", Map.of("cluster.peers", "n0@h:1,n1@h:2", "cluster.node-id", "n0"));
    assertMessage("not of the form id@host:raftPort", Map.of("cluster.peers", "n0:1", "cluster.node-id", "n0"));
    assertMessage("names n0 twice", Map.of("cluster.peers", "n0@h:1,n0@h:2,n2@h:3", "cluster.node-id", "n0"));
    assertMessage("out of range", Map.of("cluster.peers", "n0@h:0,n1@h:2,n2@h:3", "cluster.node-id", "n0"));
  }

  static void assertMessage(String part, Map<String, String> settings) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options(settings));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
