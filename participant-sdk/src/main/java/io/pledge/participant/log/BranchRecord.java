package io.pledge.participant.log;

import io.pledge.participant.barrier.BranchState;
import java.util.Objects;

/** One branch as the participant log holds it: only states that matter after a restart are ever written. */
public record BranchRecord(String txId, String participantId, BranchState state) {

  public static final int MAX_TX_ID = 256;
  public static final int MAX_PARTICIPANT_ID = 128;

  public BranchRecord {
    requireId(txId, "txId", MAX_TX_ID);
    requireId(participantId, "participantId", MAX_PARTICIPANT_ID);
    Objects.requireNonNull(state, "state");
    if (state == BranchState.UNKNOWN || state == BranchState.ACTIVE || state == BranchState.READ_ONLY) {
      throw new IllegalArgumentException("state " + state + " is never logged");
    }
  }

  static void requireId(String id, String what, int max) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    if (id.length() > max) {
      throw new IllegalArgumentException(what + " is longer than " + max + " characters");
    }
  }
}
