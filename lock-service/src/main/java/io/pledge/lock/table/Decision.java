package io.pledge.lock.table;

import java.util.List;
import java.util.Objects;

/**
 * What the lock table decided for one request, besides the new state.
 *
 * @param code the outcome
 * @param message for a refusal: a sentence fit for the caller
 * @param holder the caller's grant after the operation (GRANTED, REENTERED, UPGRADED, RENEWED, RELEASED with a
 *     count left, GRANTED_BEFORE_CANCEL), or null
 * @param position queue position (QUEUED)
 * @param blockedBy owners the caller waits for (QUEUED) or the holders (BUSY)
 * @param promoted waiters granted as a side effect (a release or an expiry let them in)
 * @param expired holders whose lease ended and were removed by this step
 */
public record Decision(Code code, String message, Holder holder, int position, List<String> blockedBy,
    List<Holder> promoted, List<Holder> expired) {

  public enum Code {
    GRANTED(true), REENTERED(true), UPGRADED(true), QUEUED(true), RENEWED(true), RELEASED(true), RELEASED_ALL(true),
    CANCELLED(true), GRANTED_BEFORE_CANCEL(true), PROMOTED(true), REASSERTED(true),
    BUSY(false), ALREADY_WAITING(false), NOT_HELD(false), TOKEN_MISMATCH(false), NOT_WAITING(false),
    /** The owner name is bound to another identity than the caller's (docs/security.md). */
    NOT_OWNER(false),
    /** The member may not change lock states now (it has not confirmed its membership with a majority). */
    NO_AUTHORITY(false);

    private final boolean ok;

    Code(boolean ok) {
      this.ok = ok;
    }

    /** Whether the request was carried out (refusals change nothing). */
    public boolean ok() {
      return ok;
    }
  }

  public Decision {
    Objects.requireNonNull(code, "code");
    message = message == null ? "" : message;
    blockedBy = List.copyOf(blockedBy);
    promoted = List.copyOf(promoted);
    expired = List.copyOf(expired);
  }

  static Decision of(Code code, Holder holder, List<Holder> promoted, List<Holder> expired) {
    return new Decision(code, "", holder, 0, List.of(), promoted, expired);
  }

  /** Nothing was done: the member that owns the lock cannot decide now (see {@link Code#NO_AUTHORITY}). */
  public static Decision unavailable(String message) {
    return new Decision(Code.NO_AUTHORITY, message, null, 0, List.of(), List.of(), List.of());
  }

  static Decision refused(Code code, String message, List<String> blockedBy) {
    return new Decision(code, message, null, 0, blockedBy, List.of(), List.of());
  }
}
