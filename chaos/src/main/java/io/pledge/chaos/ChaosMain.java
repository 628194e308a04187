package io.pledge.chaos;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A chaos run from the command line, for the long schedules that stay out of CI:
 * {@code java -cp <test class path> io.pledge.chaos.ChaosMain [seed] [long|ci]}. Exits 1 on any violation.
 */
public final class ChaosMain {

  private ChaosMain() {}

  public static void main(String[] args) throws Exception {
    long seed = args.length > 0 ? Long.parseLong(args[0]) : System.nanoTime() % 100_000;
    boolean longRun = args.length < 2 || args[1].equals("long");
    ChaosSettings settings = longRun ? ChaosSettings.longRun(seed) : ChaosSettings.ci(seed);
    System.out.println("chaos seed " + seed + (longRun ? " (long)" : " (ci)"));
    Path dir = Files.createTempDirectory("pledge-chaos-" + seed + "-");
    ChaosRun.Result result = ChaosRun.run(dir, settings);
    System.out.println(result.summary());
    System.exit(result.ok() ? 0 : 1);
  }
}
