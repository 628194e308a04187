package io.pledge.lock.table;

import java.util.Objects;

/**
 * One operation on one lock, in the lock table's terms: what a {@code LockStore} applies atomically to the lock's state
 * with its own clock. Each names the {@link LockTable} rule it runs. Pure values: a store may ship them elsewhere (the
 * Hazelcast store turns each into an entry processor) or apply them in place (the in-memory store).
 */
public sealed interface LockOp {

  /** The rule: the current state (never null) and the store's clock to the new state and the decision. */
  LockTable.Step apply(LockState state, long now);

  /** Whether the caller needs the new state besides the decision (the store may leave it out otherwise). */
  default boolean needsState(Decision decision) {
    return true;
  }

  /**
   * The owner this operation acts for, given the state it was applied to; null for none ({@link Tick}). The owner
   * index follows where this owner stands after the operation ({@link Reply#ownerUntil}).
   */
  default String owner(LockState before) {
    return null;
  }

  /** {@link LockTable#acquire}. A queued wait starts from the state; a grant or a refusal needs only the decision. */
  record Acquire(LockTable.Acquire request) implements LockOp {
    public Acquire {
      Objects.requireNonNull(request, "request");
    }

    @Override
    public LockTable.Step apply(LockState state, long now) {
      return LockTable.acquire(state, request, now);
    }

    @Override
    public String owner(LockState before) {
      return request.owner();
    }

    @Override
    public boolean needsState(Decision decision) {
      return decision.code() == Decision.Code.QUEUED;
    }
  }

  /** {@link LockTable#renew}; {@code reassertion} is null for a plain renew. */
  record Renew(String owner, long token, long leaseMs, LockTable.Reassertion reassertion, String caller)
      implements LockOp {
    public Renew {
      Objects.requireNonNull(owner, "owner");
      caller = caller == null ? "" : caller;
    }

    public Renew(String owner, long token, long leaseMs, LockTable.Reassertion reassertion) {
      this(owner, token, leaseMs, reassertion, "");
    }

    @Override
    public LockTable.Step apply(LockState state, long now) {
      return LockTable.renew(state, owner, token, leaseMs, reassertion, caller, now);
    }

    @Override
    public String owner(LockState before) {
      return owner;
    }

    @Override
    public boolean needsState(Decision decision) {
      return false;
    }
  }

  /** {@link LockTable#release}. */
  record Release(String owner, long token, String caller) implements LockOp {
    public Release {
      Objects.requireNonNull(owner, "owner");
      caller = caller == null ? "" : caller;
    }

    public Release(String owner, long token) {
      this(owner, token, "");
    }

    @Override
    public LockTable.Step apply(LockState state, long now) {
      return LockTable.release(state, owner, token, caller, now);
    }

    @Override
    public String owner(LockState before) {
      return owner;
    }

    @Override
    public boolean needsState(Decision decision) {
      return false;
    }
  }

  /** {@link LockTable#releaseAll}. */
  record ReleaseAll(String owner) implements LockOp {
    public ReleaseAll {
      Objects.requireNonNull(owner, "owner");
    }

    @Override
    public LockTable.Step apply(LockState state, long now) {
      return LockTable.releaseAll(state, owner, now);
    }

    @Override
    public String owner(LockState before) {
      return owner;
    }

    @Override
    public boolean needsState(Decision decision) {
      return false;
    }
  }

  /** {@link LockTable#cancelWait}. */
  record CancelWait(String waitId, String reason) implements LockOp {
    public CancelWait {
      Objects.requireNonNull(waitId, "waitId");
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public LockTable.Step apply(LockState state, long now) {
      return LockTable.cancelWait(state, waitId, reason, now);
    }

    /** The wait's owner (or, if it was granted meanwhile, the grant's). */
    @Override
    public String owner(LockState before) {
      return before.waiter(waitId).map(Waiter::owner)
          .or(() -> before.grantedBy(waitId).map(Holder::owner)).orElse(null);
    }
  }

  /** {@link LockTable#tick}: ends expired leases and lets waiters in; also what Inspect runs. */
  record Tick() implements LockOp {
    @Override
    public LockTable.Step apply(LockState state, long now) {
      return LockTable.tick(state, now);
    }
  }
}
