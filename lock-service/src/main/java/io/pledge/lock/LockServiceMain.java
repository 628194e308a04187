package io.pledge.lock;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.lock.config.LockServiceOptions;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar pledge-lock-service.jar [--key=value ...]}: one lock server; {@code --help} lists the keys. */
public final class LockServiceMain {

  private LockServiceMain() {}

  public static void main(String[] args) throws Exception {
    String[] normalized = normalize(args);
    Optional<Config> config = Cli.parse("pledge-lock-service", "Pledge lock service: Hazelcast-backed locks with"
            + " leases, fencing tokens and deadlock detection, over gRPC.", LockServiceOptions.ALL, normalized,
        System.getenv(), System.out, System.err);
    if (config.isEmpty()) {
      System.exit(Cli.exitCode(normalized));
      return;
    }
    LockServer server = LockServer.start(config.get());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "lock-service-shutdown"));
    stopped.await();
  }

  /** {@code --hazelcast-client} is the documented spelling of {@code --hazelcast.client=true}. */
  static String[] normalize(String[] args) {
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i].equals("--hazelcast-client")) {
        out[i] = "--hazelcast.client=true";
      }
    }
    return out;
  }
}
