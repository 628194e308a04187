package io.pledge.coordinator.state;

/** What a transaction came to: COMMITTED or ABORTED once decided, PENDING before. */
public enum Outcome {
  COMMITTED,
  ABORTED,
  PENDING
}
