package io.pledge.common.tls;

import java.util.Arrays;
import java.util.Locale;

/** What a caller may do, as the policy file grants it to identities (issue 14, docs/security.md). */
public enum Role {
  /** Begins, commits, rolls back and reads its own transactions. */
  CLIENT,
  /** Enlists in transactions and asks for their outcome. */
  PARTICIPANT,
  /** Calls participants (prepare, commit, rollback) and releases a finished transaction's locks. */
  COORDINATOR,
  /** Administers: lists and resolves transactions, inspects and frees locks. */
  OPERATOR,
  /** Takes, renews and releases locks. */
  LOCK_USER;

  /** The name in policy files and messages: {@code lock-user}. */
  public String text() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Role parse(String text) {
    for (Role r : values()) {
      if (r.text().equals(text.trim())) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + text.trim() + "': one of "
        + Arrays.stream(values()).map(Role::text).toList());
  }
}
