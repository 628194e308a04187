package io.pledge.coordinator.state;

/** A participant's answer to prepare. */
public enum Vote {
  YES,
  NO,
  /** The participant changed nothing: it takes no part in phase 2. */
  READ_ONLY
}
