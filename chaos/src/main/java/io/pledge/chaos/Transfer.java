package io.pledge.chaos;

/**
 * One transfer as the client saw it: which accounts, how much, whether the client was careless, and the outcome it
 * was told. {@code told} is UNKNOWN when the client never got a definite answer (its Commit or Rollback failed).
 *
 * @param fromA true when the money leaves bank-a's account for bank-b's, false for the other way
 */
public record Transfer(String txId, boolean fromA, int accountA, int accountB, long amount, boolean careless,
    Told told, String detail, long startedNanos, long endedNanos) {

  /** What the client was told. */
  public enum Told { COMMITTED, ABORTED, UNKNOWN }

  /** The change this transfer makes to bank-a's account when it commits. */
  public long deltaA() {
    return fromA ? -amount : amount;
  }

  public long deltaB() {
    return -deltaA();
  }

  @Override
  public String toString() {
    return txId + " " + amount + (fromA ? " bank-a/" + accountA + " -> bank-b/" + accountB
        : " bank-b/" + accountB + " -> bank-a/" + accountA) + (careless ? " (careless)" : "") + ": told " + told
        + (detail.isEmpty() ? "" : " (" + detail + ")");
  }
}
