package io.pledge.lock.table;

import java.util.Objects;

/**
 * What a store answers for a {@link LockOp}: the decision, and the lock's new state when the caller needs it
 * ({@link LockOp#needsState}; null otherwise: the Hazelcast store serializes a reply even on the member that ran the
 * operation, and the state was most of its bytes). Two numbers keep the owner index ({@link OwnerLocks}) without the
 * state:
 *
 * @param version the lock state's version after the operation ({@code -1}: not known)
 * @param ownerUntil where the operation's owner ({@link LockOp#owner}) stands on the lock afterwards: {@code 0} it
 *     neither holds nor waits for it, {@link Long#MAX_VALUE} it waits (how long is known to the server tracking the
 *     wait), otherwise the end of its lease; {@code -1}: not known (no owner, or a reply without the field)
 */
public record Reply(LockState state, Decision decision, long version, long ownerUntil) {

  public static final long UNKNOWN = -1;
  public static final long WAITING = Long.MAX_VALUE;

  public Reply {
    Objects.requireNonNull(decision, "decision");
  }

  /** A reply that says nothing for the owner index (nothing was done). */
  public Reply(LockState state, Decision decision) {
    this(state, decision, UNKNOWN, UNKNOWN);
  }

  /**
   * The reply to {@code op}, which turned {@code before} into {@code after} (the same state when it changed nothing).
   */
  public static Reply of(LockOp op, LockState before, LockState after, Decision decision) {
    String owner = op.owner(before);
    return new Reply(op.needsState(decision) ? after : null, decision, after.version(),
        owner == null ? UNKNOWN : after.presenceOf(owner));
  }
}
