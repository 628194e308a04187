package io.pledge.coordinator.state;

import java.util.List;

/** The answer of {@link Transaction#apply}. */
public sealed interface Result {

  /** The event was applied; run these effects in order. */
  record Applied(List<Effect> effects) implements Result {
    public Applied {
      effects = List.copyOf(effects);
    }
  }

  /** A duplicate, stale or late event: nothing changed. */
  record Ignored(String why) implements Result {}

  /** A request the current state forbids (FAILED_PRECONDITION at the edge); nothing changed. */
  record Rejected(String message) implements Result {}
}
