package io.pledge.coordinator.state;

import java.util.Objects;

/** An enlisted participant: its stable id and where its Participant service is reached ({@code host:port}). */
public record Participant(String id, String endpoint) {

  public static final int MAX_ID_LENGTH = 128;

  public Participant {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(endpoint, "endpoint");
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException("participant id must have 1.." + MAX_ID_LENGTH + " characters");
    }
  }
}
