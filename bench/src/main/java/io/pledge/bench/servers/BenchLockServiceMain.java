package io.pledge.bench.servers;

import io.pledge.common.config.Config;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import java.util.concurrent.CountDownLatch;

/**
 * One lock-service member in its own JVM, as a cluster of one on loopback: {@code HAZELCAST_PORT} as the only
 * argument, gRPC and ops on free ports. {@code LockServiceMain} prints no ready line with its ports; this prints
 * {@value #READY_BANNER} {@code grpc= ops= pid=}.
 */
public final class BenchLockServiceMain {

  public static final String READY_BANNER = "BENCH-LOCKS READY";

  private BenchLockServiceMain() {}

  /** Starts a member of its own cluster on {@code hazelcastPort}; blocks (Hazelcast joins). */
  public static LockServer start(int hazelcastPort) throws Exception {
    return LockServer.start(Config.of(LockServiceOptions.ALL,
        LockServiceOptions.loopbackMember(hazelcastPort, "pledge-bench-" + ProcessHandle.current().pid() + "-"
            + hazelcastPort)));
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1 || !args[0].matches("\\d{1,5}")) {
      System.err.println("usage: BenchLockServiceMain HAZELCAST_PORT");
      System.exit(2);
    }
    LockServer server = start(Integer.parseInt(args[0]));
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
