package io.pledge.coordinator.state;

import java.util.Objects;

/**
 * Why a transaction aborted, as told to the client.
 *
 * @param participantId the participant whose vote or failure caused it; empty when none did
 */
public record AbortReason(AbortCause cause, String participantId, String detail) {

  public AbortReason {
    Objects.requireNonNull(cause, "cause");
    participantId = participantId == null ? "" : participantId;
    detail = detail == null ? "" : detail;
  }

  public static AbortReason of(AbortCause cause, String detail) {
    return new AbortReason(cause, "", detail);
  }

  @Override
  public String toString() {
    return cause + (participantId.isEmpty() ? "" : " by " + participantId) + (detail.isEmpty() ? "" : ": " + detail);
  }
}
