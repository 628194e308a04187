package io.pledge.participant.spi;

import java.util.Objects;

/**
 * A resource manager's answer to prepare. A {@link Kind#NO} vote carries the reason the client will see in the
 * abort reason; a yes or read-only vote has an empty reason.
 */
public record Vote(Kind kind, String reason) {

  public enum Kind { YES, NO, READ_ONLY }

  public static final int MAX_REASON = 1024;

  public Vote {
    Objects.requireNonNull(kind, "kind");
    reason = reason == null ? "" : reason;
    if (kind == Kind.NO && reason.isBlank()) {
      throw new IllegalArgumentException("a no vote needs a reason");
    }
    if (reason.length() > MAX_REASON) {
      reason = reason.substring(0, MAX_REASON);
    }
  }

  public static Vote yes() {
    return new Vote(Kind.YES, "");
  }

  public static Vote readOnly() {
    return new Vote(Kind.READ_ONLY, "");
  }

  public static Vote no(String reason) {
    return new Vote(Kind.NO, reason);
  }
}
