package io.pledge.examples.leader;

/** An accepted write, at position {@code index} (1, 2, ...) of the append-only ledger. */
public record Entry(long index, String writer, long token, long seq, long writtenAtMs) {

  public Entry {
    if (index < 1 || token < 1 || seq < 1) {
      throw new IllegalArgumentException("index, token and seq must be positive");
    }
  }
}
