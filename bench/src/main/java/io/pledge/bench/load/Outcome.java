package io.pledge.bench.load;

/** How one operation ended. Only {@link #COMMITTED} operations enter the latency histogram. */
public enum Outcome {
  /** Done: a committed transaction, an acquire+release pair, an echo. */
  COMMITTED,
  /** The system decided no (a no vote): an expected answer, counted apart. */
  ABORTED,
  /** Something went wrong (timeout, refused work, unreachable server): counted as an error. */
  FAILED
}
