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

  /**
   * {@code --coordinators=3}: the demo on a Raft cluster of three coordinator JVMs, whose leader is killed with
   * kill -9 and restarted, then the next leader frozen with SIGSTOP past the election timeout. Each member's own log
   * must hold nothing unfinished at the end, and no transfer may be left with an unknown outcome. About 70 s on a
   * quiet 2-core machine (two minutes under load), so only with {@code -Dpledge.it.long=true}.
   */
  @Test
  @EnabledIfSystemProperty(named = "pledge.it.long", matches = "true")
  void theDemoRunsOnACoordinatorClusterThroughALeaderKillAndAFreeze() throws Exception {
    String out = runDemo("h2", "--coordinators=3", "--duration=20s");
    assertTrue(out.lines().anyMatch(l -> l.startsWith("!! kill -9 coordinator c")), out);
    assertTrue(out.lines().anyMatch(l -> l.startsWith("!! SIGSTOP coordinator c")), out);
    assertTrue(out.contains(", 0 outcome unknown"), out);
    assertTrue(out.lines().anyMatch(l -> l.startsWith("COORDINATOR MEMBERS OK: unfinished transactions in each"
        + " member's own log: c0 0, c1 0, c2 0")), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("failover \\(leader lost -> next committed transfer\\): kill -9 of"
        + " c\\d: \\d+ ms .*; SIGSTOP of c\\d: \\d+ ms .*")), out);
  }

  private void runDemo(String db) throws Exception {
    String out = runDemo(db, "--duration=12s");
    assertTrue(out.contains("!! kill -9 bank-b"), out);
    assertTrue(out.contains("!! bank-b restarted"), out);
  }

  /** Runs the jar with the flags; checks what every run must show; answers its output. */
  private String runDemo(String db, String... flags) throws Exception {
    Path jar = Paths.get(System.getProperty("basedir", ".")).resolve("target/pledge-demo.jar");
    assertTrue(Files.exists(jar), "package the demo first: " + jar);
    Path output = dir.resolve("demo.out");
    List<String> command = new java.util.ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
        .toString(), "-jar", jar.toString(), "--concurrency=4", "--downtime=2s", "--dir=" + dir.resolve("data"),
        "--db=" + db));
    command.addAll(List.of(flags));
    Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    try {
      boolean exited = demo.waitFor(240, TimeUnit.SECONDS);
      String out = Files.readString(output);
      assertTrue(exited, "demo still running after 240 s:\n" + out);
      assertEquals(0, demo.exitValue(), out);
      assertTrue(out.lines().anyMatch(l -> l.startsWith("INVARIANT OK: total money 20000 (expected 20000); in doubt 0,"
          + " prepared XA branches 0, unfinished coordinator transactions 0")), out);
      Matcher committed = Pattern.compile("transfers: (\\d+) committed, (\\d+) aborted").matcher(out);
      assertTrue(committed.find(), out);
      assertTrue(Long.parseLong(committed.group(1)) > 0, out);
      assertTrue(Long.parseLong(committed.group(2)) > 0, "the kill and the overdrafts abort some transfers:\n" + out);
      assertTrue(out.contains("PASS"), out);
      return out;
    } finally {
      // A demo that hung leaves its bank JVMs behind unless they go first.
      List<ProcessHandle> children = demo.descendants().toList();
      children.forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }
}
