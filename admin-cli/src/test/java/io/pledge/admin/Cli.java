package io.pledge.admin;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/** Runs pledge-admin in this JVM with a supplied stdin and captured stdout and stderr. */
final class Cli {

  static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

  /** What one run came to. */
  record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private String stdin = "";
  private boolean interactive;
  private Map<String, String> env = Map.of();
  private Clock clock = Clock.systemUTC();

  Cli stdin(String text, boolean interactive) {
    this.stdin = text;
    this.interactive = interactive;
    return this;
  }

  Cli env(Map<String, String> env) {
    this.env = env;
    return this;
  }

  Cli fixedClock() {
    this.clock = Clock.fixed(NOW, ZoneOffset.UTC);
    return this;
  }

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = AdminCli.run(new AdminCli.Io(new BufferedReader(new StringReader(stdin)), interactive,
        new PrintWriter(out, true), new PrintWriter(err, true), env, clock), args);
    return new Run(code, out.toString(), err.toString());
  }
}
