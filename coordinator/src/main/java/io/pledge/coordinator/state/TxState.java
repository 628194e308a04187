package io.pledge.coordinator.state;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of a transaction at its coordinator. Causes (which participant voted no, a timeout), retry counts
 * and the one-phase flag are fields of {@link Transaction}, not states. {@link #canFollow} is the whole transition
 * table: a transition not listed there is a bug and fails loudly.
 */
public enum TxState {
  /** Begun; participants may enlist. */
  ACTIVE,
  /** Commit requested: the intent (participant list) is being logged, then votes are collected. */
  PREPARING,
  /** Every vote was yes (or read-only): the commit decision is being forced to the log. */
  PREPARED,
  /** The commit decision is durable; phase 2 tells every yes-voter until each acknowledges. */
  COMMITTING,
  /** Finished: every participant acknowledged the commit. */
  COMMITTED,
  /** Abort decided (presumed abort: nothing forced); phase 2 tells every participant that may hold work. */
  ROLLING_BACK,
  /** Finished: every participant acknowledged the rollback, or none needed telling. */
  ROLLED_BACK;

  private Set<TxState> predecessors() {
    return switch (this) {
      case ACTIVE -> EnumSet.noneOf(TxState.class);
      case PREPARING -> EnumSet.of(ACTIVE);
      case PREPARED -> EnumSet.of(PREPARING);
      case COMMITTING -> EnumSet.of(PREPARED);
      // From ACTIVE: no participants. From PREPARING: every vote read-only, or a one-phase commit succeeded.
      case COMMITTED -> EnumSet.of(ACTIVE, PREPARING, COMMITTING);
      // Never from PREPARED: once the commit record may be on disk, only COMMITTING can follow.
      case ROLLING_BACK -> EnumSet.of(ACTIVE, PREPARING);
      // From ACTIVE: rollback with no participants. From PREPARING: a one-phase commit aborted at the participant.
      case ROLLED_BACK -> EnumSet.of(ACTIVE, PREPARING, ROLLING_BACK);
    };
  }

  /** Whether the transition {@code from -> this} is in the table. */
  public boolean canFollow(TxState from) {
    return predecessors().contains(from);
  }

  public boolean isFinished() {
    return this == COMMITTED || this == ROLLED_BACK;
  }

  /** Once true, the outcome is known and will not change (though phase 2 may still be running). */
  public boolean isDecided() {
    return this == COMMITTING || this == COMMITTED || this == ROLLING_BACK || this == ROLLED_BACK;
  }

  public Outcome outcome() {
    return switch (this) {
      case COMMITTING, COMMITTED -> Outcome.COMMITTED;
      case ROLLING_BACK, ROLLED_BACK -> Outcome.ABORTED;
      default -> Outcome.PENDING;
    };
  }
}
