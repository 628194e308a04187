package io.pledge.examples.leader;

import io.pledge.common.config.Cli;
import io.pledge.lock.client.LockClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A worker process: {@code java -cp pledge-election-demo.jar io.pledge.examples.leader.WorkerMain --id worker-2}.
 * Competes for the leader lock; the leader appends to the ledger with its fencing token. On SIGTERM it gives the lock
 * back ({@code ReleaseAll} of its owner, which also withdraws a wait), so that the next worker takes over at once.
 */
public final class WorkerMain {

  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    WorkerOptions options = Cli.optionsOrExit("worker", "A leader-election worker: the holder of the leader lock"
        + " writes to the ledger with its fencing token.", WorkerOptions.KEYS, args, WorkerOptions::from);
    LockClient locks = LockClient.create(options.lockService());
    String owner = options.id() + "/" + ProcessHandle.current().pid();
    Worker worker = new Worker(options, owner, locks, new LedgerClient(options.ledger()), WorkerMain::println);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      worker.stop();
      try {
        locks.releaseAll(owner).await(5, TimeUnit.SECONDS);
        println(options.id() + " stopped and gave up the leader lock");
      } catch (Exception e) {
        println(options.id() + " stopped; its lease will run out (" + e.getMessage() + ")");
      }
    }, "worker-shutdown"));
    println(options.id() + " started (owner " + owner + ", lock " + options.lock() + ", lease "
        + format(options.lease()) + ")");
    worker.run();
    // run() returns only once the shutdown hook stopped it; the hook still uses the client, and the JVM is exiting.
  }

  private static void println(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
