package io.pledge.lock.it;

import io.pledge.common.config.Config;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Starts lock servers in this JVM: members on 127.0.0.1 with an explicit member list, gRPC and ops on port 0. */
final class Servers {

  private Servers() {}

  static Map<String, String> memberSettings(int port, List<Integer> ports, Map<String, String> extra) {
    Map<String, String> m = new HashMap<>();
    m.put("grpc.host", "127.0.0.1");
    m.put("grpc.port", "0");
    m.put("ops.host", "127.0.0.1");
    m.put("ops.port", "0");
    m.put("hazelcast.host", "127.0.0.1");
    m.put("hazelcast.port", Integer.toString(port));
    m.put("hazelcast.members", ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(",")));
    m.put("hazelcast.cluster-name", "pledge-it-" + ports.get(0));
    // A new cluster per test: no lock can predate it, so no start-up grace (RestartGraceIT tests the default).
    m.put("lock.delay-on-start", "false");
    m.putAll(extra);
    return m;
  }

  static LockServer start(Map<String, String> settings) throws Exception {
    return LockServer.start(Config.of(LockServiceOptions.ALL, settings));
  }

  /** {@code n} members on ports {@code firstPort..}, started one after the other. */
  static List<LockServer> cluster(int firstPort, int n, Map<String, String> extra) throws Exception {
    List<Integer> ports = IntStream.range(firstPort, firstPort + n).boxed().toList();
    List<LockServer> out = new ArrayList<>();
    for (int p : ports) {
      out.add(start(memberSettings(p, ports, extra)));
    }
    return out;
  }
}
