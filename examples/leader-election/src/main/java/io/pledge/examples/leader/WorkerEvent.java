package io.pledge.examples.leader;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a worker tells the world, one line on its standard output each. The demo reads these lines back from the
 * worker processes, so the format and the parser live together here.
 */
public sealed interface WorkerEvent {

  String worker();

  /** The line the worker prints. */
  String line();

  /** Granted the leader lock with {@code token}. */
  record Elected(String worker, long token) implements WorkerEvent {
    @Override
    public String line() {
      return worker + " is leader (token " + token + ")";
    }
  }

  /** The ledger appended this leader's write at {@code index}. */
  record Wrote(String worker, long index, long token) implements WorkerEvent {
    @Override
    public String line() {
      return worker + " wrote #" + index + " (token " + token + ")";
    }
  }

  /** No longer leader; {@code reason} says how it found out. */
  record Lost(String worker, long token, String reason) implements WorkerEvent {
    @Override
    public String line() {
      return worker + " lost leadership (token " + token + "): " + reason;
    }
  }

  /** Queued for the leader lock. */
  record Waiting(String worker) implements WorkerEvent {
    @Override
    public String line() {
      return worker + " is waiting for leadership";
    }
  }

  Pattern ELECTED = Pattern.compile("(\\S+) is leader \\(token (\\d+)\\)");
  Pattern WROTE = Pattern.compile("(\\S+) wrote #(\\d+) \\(token (\\d+)\\)");
  Pattern LOST = Pattern.compile("(\\S+) lost leadership \\(token (\\d+)\\): (.*)");
  Pattern WAITING = Pattern.compile("(\\S+) is waiting for leadership");

  /** The event a line states, or empty for any other output (log lines, stack traces). */
  static Optional<WorkerEvent> parse(String line) {
    Matcher m;
    if ((m = ELECTED.matcher(line)).matches()) {
      return Optional.of(new Elected(m.group(1), Long.parseLong(m.group(2))));
    }
    if ((m = WROTE.matcher(line)).matches()) {
      return Optional.of(new Wrote(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
    }
    if ((m = LOST.matcher(line)).matches()) {
      return Optional.of(new Lost(m.group(1), Long.parseLong(m.group(2)), m.group(3)));
    }
    if ((m = WAITING.matcher(line)).matches()) {
      return Optional.of(new Waiting(m.group(1)));
    }
    return Optional.empty();
  }
}
