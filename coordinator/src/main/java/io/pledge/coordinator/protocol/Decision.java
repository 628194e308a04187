package io.pledge.coordinator.protocol;

import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;

/** The answer to Commit: the outcome and, when aborted, why. */
public record Decision(Outcome outcome, AbortReason reason) {}
