package io.pledge.bench.servers;

import io.pledge.common.config.Config;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * One lock-service member in its own JVM, as a cluster of one on loopback: {@code HAZELCAST_PORT} as the first
 * argument, then any further settings as {@code key=value}; gRPC and ops on free ports. {@code LockServiceMain}
 * prints no ready line with its ports; this prints {@value #READY_BANNER} {@code grpc= ops= pid=}.
 */
public final class BenchLockServiceMain {

  public static final String READY_BANNER = "BENCH-LOCKS READY";

  private BenchLockServiceMain() {}

  /** Starts a member of its own cluster on {@code hazelcastPort}; blocks (Hazelcast joins). */
  public static LockServer start(int hazelcastPort) throws Exception {
    return start(hazelcastPort, Map.of());
  }

  /** The same with further settings ({@code tls.*}, say). */
  public static LockServer start(int hazelcastPort, Map<String, String> extra) throws Exception {
    Map<String, String> settings = new HashMap<>(LockServiceOptions.loopbackMember(hazelcastPort,
        "pledge-bench-" + ProcessHandle.current().pid() + "-" + hazelcastPort));
    settings.putAll(extra);
    return LockServer.start(Config.of(LockServiceOptions.ALL, settings));
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || !args[0].matches("\\d{1,5}")
        || Arrays.stream(args).skip(1).anyMatch(a -> !a.matches("[a-z.-]+=.*"))) {
      System.err.println("usage: BenchLockServiceMain HAZELCAST_PORT [key=value ...]");
      System.exit(2);
    }
    Map<String, String> extra = new HashMap<>();
    Arrays.stream(args).skip(1)
        .forEach(a -> extra.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1)));
    LockServer server = start(Integer.parseInt(args[0]), extra);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "bench-locks-shutdown"));
    System.out.println(READY_BANNER + " grpc=" + server.grpcPort() + " ops=" + server.opsPort() + " pid="
        + ProcessHandle.current().pid());
    System.out.flush();
    stopped.await();
  }
}
