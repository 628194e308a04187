package io.pledge.participant.barrier;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Where one branch (a transaction at one participant) stands. {@link #UNKNOWN} is the state of a branch this
 * participant has no trace of: never worked for, or its volatile work was lost in a restart.
 *
 * <p>The table of legal successors is the whole protocol of a branch; {@link #checkTransition} makes an illegal
 * step fail loudly instead of corrupting the log.
 */
public enum BranchState {
  UNKNOWN,
  /** The service did work for the transaction; nothing is durable yet. */
  ACTIVE,
  /**
   * The resource prepared and the yes vote is durable: the outcome is the coordinator's alone. Durable through the
   * forced PREPARED record, or, for a resource whose prepare is its own record ({@code ResourceManager
   * .durablePrepare}), through the resource's prepared branch (then this state lives in memory only, and a restart
   * rebuilds it from the resource's {@code recover()}: the step UNKNOWN to PREPARED).
   */
  PREPARED,
  /**
   * One-phase commit: the resource prepared and this participant decided to commit (the coordinator delegated the
   * decision to its only participant); the COMMITTING record is forced, so a crash before the COMMITTED record
   * finishes the commit at restart instead of forgetting a decision the resource may already have applied.
   */
  COMMITTING,
  COMMITTED,
  ROLLED_BACK,
  /** The resource changed nothing and voted read-only: no phase 2 follows. */
  READ_ONLY;

  private static final Map<BranchState, Set<BranchState>> NEXT = Map.of(
      UNKNOWN, EnumSet.of(ACTIVE, PREPARED, ROLLED_BACK),
      ACTIVE, EnumSet.of(PREPARED, COMMITTING, ROLLED_BACK, READ_ONLY),
      // PREPARED -> COMMITTING: a one-phase commit of a branch whose only record is the resource's (Action
      // DECIDE_AND_COMMIT).
      PREPARED, EnumSet.of(COMMITTING, COMMITTED, ROLLED_BACK),
      COMMITTING, EnumSet.of(COMMITTED),
      COMMITTED, EnumSet.noneOf(BranchState.class),
      ROLLED_BACK, EnumSet.noneOf(BranchState.class),
      READ_ONLY, EnumSet.noneOf(BranchState.class));

  public boolean canMoveTo(BranchState next) {
    return NEXT.get(this).contains(next);
  }

  /** @throws IllegalStateException when {@code next} is not a legal successor of this state */
  public BranchState checkTransition(BranchState next) {
    if (!canMoveTo(next)) {
      throw new IllegalStateException("illegal branch transition " + this + " -> " + next);
    }
    return next;
  }

  public boolean isFinal() {
    return NEXT.get(this).isEmpty();
  }
}
