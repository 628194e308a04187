package io.pledge.examples.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo exactly as a user does, {@code java -jar target/pledge-demo.jar}, shorter, with the kill -9
 * included, so that the one command cannot rot: it must exit 0 and print the invariant line.
 */
class BankTransferDemoIT {

  @TempDir
  Path dir;

  @Test
  void theDemoRunsWithACrashAndKeepsTheInvariant() throws Exception {
    runDemo("h2");
  }

  /**
   * The same on PostgreSQL ({@code --db=postgres}: an embedded server, a database per bank). About 50 s more, so
   * only with {@code -Dpledge.it.long=true} (the PostgreSQL behaviour itself is covered by the SDK's
   * PostgresBankIT on every build).
   */
  @Test
  @EnabledIfSystemProperty(named = "pledge.it.long", matches = "true")
  void theDemoRunsOnPostgres() throws Exception {
    runDemo("postgres");
  }

  private void runDemo(String db) throws Exception {
    Path jar = Paths.get(System.getProperty("basedir", ".")).resolve("target/pledge-demo.jar");
    assertTrue(Files.exists(jar), "package the demo first: " + jar);
    Path output = dir.resolve("demo.out");
    Process demo = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        jar.toString(), "--duration=12s", "--concurrency=4", "--downtime=2s", "--dir=" + dir.resolve("data"), "--db=" + db)
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    try {
      boolean exited = demo.waitFor(150, TimeUnit.SECONDS);
      String out = Files.readString(output);
      assertTrue(exited, "demo still running after 150 s:\n" + out);
      assertEquals(0, demo.exitValue(), out);
      assertTrue(out.contains("!! kill -9 bank-b"), out);
      assertTrue(out.contains("!! bank-b restarted"), out);
      assertTrue(out.lines().anyMatch(l -> l.startsWith("INVARIANT OK: total money 20000 (expected 20000); in doubt 0,"
          + " prepared XA branches 0, unfinished coordinator transactions 0")), out);
      Matcher committed = Pattern.compile("transfers: (\\d+) committed, (\\d+) aborted").matcher(out);
      assertTrue(committed.find(), out);
      assertTrue(Long.parseLong(committed.group(1)) > 0, out);
      assertTrue(Long.parseLong(committed.group(2)) > 0, "the kill and the overdrafts abort some transfers:\n" + out);
      assertTrue(out.contains("PASS"), out);
    } finally {
      // A demo that hung leaves its bank JVMs behind unless they go first.
      List<ProcessHandle> children = demo.descendants().toList();
      children.forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }
}
