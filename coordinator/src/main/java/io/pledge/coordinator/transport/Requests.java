package io.pledge.coordinator.transport;

import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.Map;

/** Validation of what clients send, with messages a person understands; throws IllegalArgumentException. */
final class Requests {

  static final int MAX_LABELS = 16;
  static final int MAX_LABEL_LENGTH = 256;
  static final int MAX_PAGE_SIZE = 1000;
  static final int DEFAULT_PAGE_SIZE = 100;
  /**
   * Most bytes of transactions in one ListTransactions reply: under the 256 KiB a client accepts by default (Vert.x,
   * grpc-java 4 MiB), with room for the envelope.
   */
  static final int MAX_PAGE_BYTES = 192 * 1024;
  static final int MAX_REASON_LENGTH = 256;

  private Requests() {}

  static TxId txId(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("tx_id is empty");
    }
    return TxId.parse(text);
  }

  static Participant participant(String participantId, String endpoint) {
    return new Participant(participantId(participantId, "participant_id"), Endpoint.parse(endpoint).toString());
  }

  /** A participant id wherever a caller sends one ({@code what} names the field): not empty, bounded, printable. */
  private static String participantId(String id, String what) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    if (id.length() > Participant.MAX_ID_LENGTH) {
      throw new IllegalArgumentException(what + " is longer than " + Participant.MAX_ID_LENGTH + " characters");
    }
    // Ids reach logs and /metrics: a control character (NUL, newline) could forge or break log lines.
    if (id.chars().anyMatch(c -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
      throw new IllegalArgumentException(what + " contains a control character (such as NUL or a newline)");
    }
    return id;
  }

  /** Most expected participants a Commit may name (as many as a transaction could usefully have). */
  static final int MAX_EXPECTED_PARTICIPANTS = 64;

  /** The participant ids a Commit expects to have enlisted: each a valid id, bounded in number. */
  static java.util.Set<String> expectedParticipants(java.util.List<String> ids) {
    if (ids.size() > MAX_EXPECTED_PARTICIPANTS) {
      throw new IllegalArgumentException("too many expected_participants: " + ids.size() + " (at most "
          + MAX_EXPECTED_PARTICIPANTS + ")");
    }
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    for (String id : ids) {
      // The same rules as an enlisted id: a missing one is named in the abort detail, and so in logs.
      out.add(participantId(id, "an id in expected_participants"));
    }
    return out;
  }

  static Map<String, String> labels(Map<String, String> labels) {
    if (labels.size() > MAX_LABELS) {
      throw new IllegalArgumentException("too many labels: " + labels.size() + " (at most " + MAX_LABELS + ")");
    }
    labels.forEach((k, v) -> {
      if (k.isEmpty()) {
        throw new IllegalArgumentException("a label has an empty key");
      }
      if (k.length() > MAX_LABEL_LENGTH || v.length() > MAX_LABEL_LENGTH) {
        throw new IllegalArgumentException("label '" + abbreviate(k) + "' is longer than " + MAX_LABEL_LENGTH
            + " characters (key or value)");
      }
    });
    return labels;
  }

  static int pageSize(int requested) {
    if (requested < 0 || requested > MAX_PAGE_SIZE) {
      throw new IllegalArgumentException("page_size " + requested + " is out of range 0.." + MAX_PAGE_SIZE);
    }
    return requested == 0 ? DEFAULT_PAGE_SIZE : requested;
  }

  /** An operator's free-text reason: trimmed, bounded, printable. */
  static String reason(String reason) {
    String r = reason == null ? "" : reason.strip();
    if (r.length() > MAX_REASON_LENGTH) {
      throw new IllegalArgumentException("reason is longer than " + MAX_REASON_LENGTH + " characters");
    }
    if (r.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("reason contains a control character");
    }
    return r;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
