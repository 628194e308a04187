package io.pledge.examples.leader;

/** What the ledger answers to a {@link Write}. */
public sealed interface AppendResult {

  /** Appended at {@code entry.index()}. */
  record Accepted(Entry entry) implements AppendResult {}

  /** Refused by the fencing check: a leader with a higher token ({@code highest}) has written since. */
  record Stale(long token, long highest) implements AppendResult {}
}
