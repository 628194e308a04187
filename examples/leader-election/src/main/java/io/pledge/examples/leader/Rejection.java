package io.pledge.examples.leader;

/** A write the fencing check refused: its token was below {@code highest}, a token the ledger had accepted. */
public record Rejection(String writer, long token, long seq, long highest, long atMs) {

  public Rejection {
    if (token >= highest) {
      throw new IllegalArgumentException("a rejected token must be below the highest accepted one: " + token
          + " >= " + highest);
    }
  }

  /** The line the ledger prints. */
  public String line() {
    return "ledger rejected stale write from " + writer + " (token " + token + " < " + highest + ")";
  }
}
