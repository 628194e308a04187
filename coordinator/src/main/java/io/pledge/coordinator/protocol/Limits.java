package io.pledge.coordinator.protocol;

/**
 * What callers may make the coordinator hold, so that a flood of valid requests cannot exhaust its memory. Past a
 * bound a request gets RESOURCE_EXHAUSTED naming the bound and its setting (docs/protocol.md, "Limits").
 *
 * @param openTransactions unfinished transactions in memory, all callers together ({@code limits.open-transactions})
 * @param openPerCaller unfinished transactions begun by one caller, a remote host
 *     ({@code limits.open-transactions-per-caller})
 * @param participantsPerTransaction participants one transaction may enlist
 *     ({@code limits.participants-per-transaction})
 * @param labelBytes UTF-8 bytes of one transaction's label keys and values together ({@code limits.label-bytes})
 *
 * <p>The defaults keep the worst case (every transaction with the largest labels, about 10 KB in memory each) near
 * 50 MB open plus {@code memory.max-finished} finished ones, measured by {@code FloodIT} at a 128 MB heap.
 */
public record Limits(int openTransactions, int openPerCaller, int participantsPerTransaction, int labelBytes) {

  public static final Limits DEFAULT = new Limits(5_000, 1_000, 64, 8192);

  public Limits {
    if (openTransactions < 1 || openPerCaller < 1 || participantsPerTransaction < 1 || labelBytes < 0) {
      throw new IllegalArgumentException("limits must be positive (label bytes: not negative)");
    }
  }
}
