package io.pledge.examples.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo as a user does, {@code java -jar target/pledge-orders-demo.jar}, so that the one command cannot
 * rot: it must exit 0, commit some orders, abort some for each business reason, and end consistent.
 */
class OrdersDemoIT {

  @TempDir
  Path dir;

  @Test
  void theDemoPlacesOrdersAndEndsConsistent() throws Exception {
    Path jar = Paths.get(System.getProperty("basedir", ".")).resolve("target/pledge-orders-demo.jar");
    assertTrue(Files.exists(jar), "package the demo first: " + jar);
    Path output = dir.resolve("demo.out");
    Process demo = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        jar.toString(), "--count=24", "--concurrency=1", "--dir=" + dir.resolve("data"))
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    try {
      boolean exited = demo.waitFor(120, TimeUnit.SECONDS);
      String out = Files.readString(output);
      assertTrue(exited, "demo still running after 120 s:\n" + out);
      assertEquals(0, demo.exitValue(), out);
      Matcher m = Pattern.compile("orders: 24 placed in [0-9.]+ s: (\\d+) committed, (\\d+) aborted \\(out of stock"
          + " (\\d+), insufficient funds (\\d+),").matcher(out);
      assertTrue(m.find(), out);
      assertTrue(Integer.parseInt(m.group(1)) > 0, out);
      assertTrue(Integer.parseInt(m.group(3)) > 0, "some skus run out:\n" + out);
      assertTrue(Integer.parseInt(m.group(4)) > 0, "some wallets run dry:\n" + out);
      assertTrue(out.lines().anyMatch(l -> l.startsWith("CONSISTENT: ") && l.endsWith("in doubt 0, prepared XA"
          + " branches 0, unfinished coordinator transactions 0")), out);
      assertTrue(out.contains(": PASS"), out);
    } finally {
      // A demo that hung leaves its service JVMs behind unless they go first.
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }
}
