package io.pledge.lock.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Network namespaces for the partition test: each member gets its own namespace with two links, one on a "cluster"
 * bridge (Hazelcast traffic) and one on a "client" bridge (gRPC from the test). Cutting a member's cluster link
 * partitions it from the other members while the test can still talk to it. Needs root and iproute2.
 */
final class Netns implements AutoCloseable {

  static final String CLUSTER_NET = "10.231.0.";
  static final String CLIENT_NET = "10.231.1.";
  private static final String CLUSTER_BRIDGE = "plbrc0";
  private static final String CLIENT_BRIDGE = "plbrg0";

  private final int members;

  private Netns(int members) {
    this.members = members;
  }

  /** Whether this machine lets us build namespaces (root, iproute2). */
  static boolean available() {
    try {
      return run(List.of("ip", "netns", "list"), true) && "root".equals(System.getProperty("user.name"));
    } catch (IOException e) {
      return false;
    }
  }

  static Netns create(int members) throws IOException {
    Netns n = new Netns(members);
    n.close(); // leftovers of an earlier, interrupted run
    sh("ip link add " + CLUSTER_BRIDGE + " type bridge", "ip addr add " + CLUSTER_NET + "1/24 dev " + CLUSTER_BRIDGE,
        "ip link set " + CLUSTER_BRIDGE + " up", "ip link add " + CLIENT_BRIDGE + " type bridge",
        "ip addr add " + CLIENT_NET + "1/24 dev " + CLIENT_BRIDGE, "ip link set " + CLIENT_BRIDGE + " up");
    for (int i = 1; i <= members; i++) {
      String ns = ns(i);
      sh("ip netns add " + ns, "ip netns exec " + ns + " ip link set lo up");
      link(ns, "plc" + i, CLUSTER_BRIDGE, CLUSTER_NET + (10 + i));
      link(ns, "plg" + i, CLIENT_BRIDGE, CLIENT_NET + (10 + i));
    }
    return n;
  }

  private static void link(String ns, String name, String bridge, String address) throws IOException {
    sh("ip link add " + name + "h type veth peer name " + name + "n", "ip link set " + name + "n netns " + ns,
        "ip link set " + name + "h master " + bridge, "ip link set " + name + "h up",
        "ip netns exec " + ns + " ip addr add " + address + "/24 dev " + name + "n",
        "ip netns exec " + ns + " ip link set " + name + "n up");
  }

  static String ns(int member) {
    return "pledge-lock-m" + member;
  }

  /** Cuts (or restores) member {@code i}'s link to the other members. */
  void cluster(int i, boolean up) throws IOException {
    sh("ip link set plc" + i + "h " + (up ? "up" : "down"));
  }

  /** The command prefix that runs a program inside member {@code i}'s namespace. */
  List<String> exec(int i) {
    return List.of("ip", "netns", "exec", ns(i));
  }

  @Override
  public void close() throws IOException {
    for (int i = 1; i <= members; i++) {
      run(List.of("ip", "netns", "del", ns(i)), true);
      run(List.of("ip", "link", "del", "plc" + i + "h"), true);
      run(List.of("ip", "link", "del", "plg" + i + "h"), true);
    }
    run(List.of("ip", "link", "del", CLUSTER_BRIDGE), true);
    run(List.of("ip", "link", "del", CLIENT_BRIDGE), true);
  }

  private static void sh(String... commands) throws IOException {
    for (String c : commands) {
      if (!run(List.of(c.split(" ")), false)) {
        throw new IOException("failed: " + c);
      }
    }
  }

  private static boolean run(List<String> cmd, boolean quiet) throws IOException {
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      int rc = p.waitFor();
      if (rc != 0 && !quiet) {
        throw new IOException(String.join(" ", cmd) + " exited " + rc + ": " + out);
      }
      return rc == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
