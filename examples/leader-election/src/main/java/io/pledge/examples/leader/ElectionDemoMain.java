package io.pledge.examples.leader;

import io.pledge.common.config.Cli;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The leader-election demo: {@code java -jar examples/leader-election/target/pledge-election-demo.jar}. See
 * {@link ElectionDemo} for the scenario. Exits 0 when every check passed, 1 when one failed, 2 on a bad flag.
 */
public final class ElectionDemoMain {

  private ElectionDemoMain() {}

  public static void main(String[] args) throws Exception {
    DemoOptions options = Cli.optionsOrExit("pledge-election-demo", "Workers elect a leader through one lock of the"
        + " lock service; the leader is killed, then frozen, and the ledger's fencing check rejects the frozen"
        + " leader's late write.", DemoOptions.KEYS, args, DemoOptions::from);
    Path dir = options.dir().isPresent() ? Files.createDirectories(options.dir().get())
        : Files.createTempDirectory("pledge-election-");
    // Before the first logger exists: this JVM's servers log to a file, the console is the demo's.
    System.setProperty("logback.configurationFile", "logback-demo.xml");
    System.setProperty("pledge.demo.log", dir.resolve("servers.log").toString());
    long began = System.nanoTime();
    ElectionDemo.Result result = ElectionDemo.run(options, dir, System.out);
    System.out.printf("demo finished in %.1f s: %s%n", (System.nanoTime() - began) / 1e9,
        result.ok() ? "PASS" : "FAIL");
    System.exit(result.ok() ? 0 : 1);
  }
}
