package io.pledge.lock.table;

import java.util.Objects;

/** A wait withdrawn by someone other than its own server (deadlock victim, ReleaseAll), kept so it can learn why. */
public record Cancellation(String waitId, String reason) {

  public Cancellation {
    Objects.requireNonNull(waitId, "waitId");
    Objects.requireNonNull(reason, "reason");
  }
}
