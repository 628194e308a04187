package io.pledge.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Argument parsing, usage errors (exit 2) and refusals that need no server (exit 1). */
class AdminCliTest {

  static void assertExit(int code, Cli.Run run) {
    assertEquals(code, run.code(), run::toString);
  }

  static void assertErr(String part, Cli.Run run) {
    assertTrue(run.err().contains(part), () -> "stderr should contain '" + part + "'\n" + run);
  }

  @Test
  void helpListsTheCommands() {
    Cli.Run run = new Cli().run("--help");
    assertExit(0, run);
    assertTrue(run.out().contains("tx") && run.out().contains("locks") && run.out().contains("--coordinator"), run.out());
    Cli.Run resolve = new Cli().run("tx", "resolve", "--help");
    assertExit(0, resolve);
    assertTrue(resolve.out().contains("--commit") && resolve.out().contains("--yes"), resolve.out());
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertErr("a command is needed: tx, locks or cluster", assertUsage(new Cli().run()));
    assertErr("a command is needed: list, show or resolve", assertUsage(new Cli().run("tx")));
    assertErr("a command is needed: list or show", assertUsage(new Cli().run("locks")));
    assertUsage(new Cli().run("tx", "frobnicate"));
    assertErr("Missing required argument", assertUsage(new Cli().run("tx", "resolve", "coord-0:1:1")));
    assertErr("mutually exclusive", assertUsage(new Cli().run("tx", "resolve", "coord-0:1:1", "--commit",
        "--rollback")));
    assertUsage(new Cli().run("tx", "show"));
    assertErr("is not host:port", assertUsage(new Cli().run("--coordinator", "nowhere", "tx", "list")));
    assertErr("out of range 1..65535", assertUsage(new Cli().run("tx", "list", "--coordinator", "h:70000")));
    assertErr("not a duration", assertUsage(new Cli().run("--timeout", "soon", "tx", "list")));
    assertErr("must be positive", assertUsage(new Cli().run("--timeout", "0s", "tx", "list")));
    assertErr("--limit must be 1..100000, got 0", assertUsage(new Cli().run("tx", "list", "--limit", "0")));
    assertErr("Invalid value for option '--state'", assertUsage(new Cli().run("tx", "list", "--state", "STUCK")));
    assertErr("--limit must be", assertUsage(new Cli().run("locks", "list", "--limit", "-3")));
  }

  static Cli.Run assertUsage(Cli.Run run) {
    assertExit(2, run);
    return run;
  }

  @Test
  void resolveWithoutATerminalOrYesRefusesBeforeCallingAnything() {
    Cli.Run run = new Cli().stdin("coord-0:1:1\n", false)
        .run("tx", "resolve", "coord-0:1:1", "--commit", "--coordinator", "127.0.0.1:1");
    assertExit(1, run);
    assertErr("refusing to resolve coord-0:1:1 without confirmation: standard input is not a terminal;"
        + " pass --yes", run);
    assertEquals("", run.out());
  }

  @Test
  void anUnreachableServerIsUnavailableNamingTheEndpoint() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Cli.Run run = new Cli().env(Map.of(AdminCli.COORDINATOR_ENV, "127.0.0.1:" + port))
        .run("--timeout", "3s", "tx", "list", "--state", "committing,preparing");
    assertExit(1, run);
    assertErr("pledge-admin: UNAVAILABLE", run);
    assertErr("calling 127.0.0.1:" + port, run);
    Cli.Run locks = new Cli().run("locks", "show", "x", "--locks", "127.0.0.1:" + port, "--timeout", "3s");
    assertExit(1, locks);
    assertErr("calling 127.0.0.1:" + port, locks);
  }

  @Test
  void theEnvironmentNamesTheDefaultEndpoints() {
    Cli.Run help = new Cli().env(Map.of(AdminCli.COORDINATOR_ENV, "coord.example:7411")).run("tx", "list", "--help");
    assertTrue(unwrapped(help).contains("(default:coord.example:7411,"), help.out());
    assertTrue(unwrapped(new Cli().run("tx", "list", "--help")).contains(AdminCli.DEFAULT_COORDINATOR));
    assertTrue(unwrapped(new Cli().run("locks", "list", "--help")).contains(AdminCli.DEFAULT_LOCKS));
  }

  /** Help text without its line wrapping (and without any whitespace). */
  static String unwrapped(Cli.Run run) {
    return run.out().replaceAll("\\s+", "");
  }
}
