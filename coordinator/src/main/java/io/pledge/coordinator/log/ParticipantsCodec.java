package io.pledge.coordinator.log;

import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.state.Participant;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A transaction's participants as the {@code tx.participants} column holds them: one value in the transaction's
 * own row, so that each record of a transaction (intent, decision, END) is a single-row statement instead of a row
 * per participant besides (issue 16).
 *
 * <p>Format, version 1 (big-endian):
 * <pre>
 *   u8   version = 1
 *   u16  count
 *   count times, ordered by participant id:
 *     u8   flags: bit 0 set = FORGOTTEN (an operator ended the transaction without this participant's
 *          acknowledgement, see {@link TxLog#forceResolvedEnd}); other bits 0
 *     u16  length, then the participant id in UTF-8 (1..{@value Participant#MAX_ID_LENGTH} characters)
 *     u16  length, then the endpoint in UTF-8 (at most {@value Endpoint#MAX_LENGTH} characters)
 * </pre>
 * A two-participant transaction takes about 50 bytes. The counts are bounded by the coordinator's limits
 * ({@code limits.participants-per-transaction}, 64 by default); a u16 is far above any sensible setting, and a
 * longer list is refused when written rather than truncated. A reader refuses a version it does not know: a log
 * written by a newer coordinator is not silently misread by an older one.
 *
 * <p>Ordered by id, as the per-participant rows were read before ({@code ORDER BY participant_id}), so that what the
 * log answers does not depend on the order of enlistment.
 */
public final class ParticipantsCodec {

  static final int VERSION = 1;
  private static final int FORGOTTEN = 1;
  private static final int MAX_COUNT = 0xFFFF;

  /** What a value holds: the participants, and the ids of those an operator forgot. */
  public record Decoded(List<Participant> participants, Set<String> forgotten) {
    public static final Decoded EMPTY = new Decoded(List.of(), Set.of());

    public Decoded {
      participants = List.copyOf(participants);
      forgotten = Set.copyOf(forgotten);
    }
  }

  private ParticipantsCodec() {}

  /** The value for {@code participants}, none forgotten; null for none (as the column of a row without them). */
  public static byte[] encode(List<Participant> participants) {
    return encode(participants, Set.of());
  }

  /**
   * The value for {@code participants}, marking those whose id is in {@code forgotten}; null for none.
   *
   * @throws IllegalArgumentException past the format's bounds (more than 65,535 participants, an endpoint longer
   *     than {@value Endpoint#MAX_LENGTH} characters), or with a participant id twice
   */
  public static byte[] encode(List<Participant> participants, Set<String> forgotten) {
    if (participants.isEmpty()) {
      return null;
    }
    if (participants.size() > MAX_COUNT) {
      throw new IllegalArgumentException("too many participants for one log record: " + participants.size());
    }
    List<Participant> sorted = new ArrayList<>(participants);
    sorted.sort(Comparator.comparing(Participant::id));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(8 + 32 * sorted.size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeShort(sorted.size());
      String previous = null;
      for (Participant p : sorted) {
        if (p.id().equals(previous)) {
          throw new IllegalArgumentException("participant " + p.id() + " twice in one log record");
        }
        previous = p.id();
        if (p.endpoint().length() > Endpoint.MAX_LENGTH) {
          throw new IllegalArgumentException("endpoint of participant " + p.id() + " longer than "
              + Endpoint.MAX_LENGTH + " characters");
        }
        out.writeByte(forgotten.contains(p.id()) ? FORGOTTEN : 0);
        writeString(out, p.id());
        writeString(out, p.endpoint());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * What {@code encoded} holds; {@link Decoded#EMPTY} for null (a row without participants).
   *
   * @throws IllegalStateException when the value is not one this version writes (a newer coordinator's log, or a
   *     damaged one): recovery must stop rather than guess a participant list
   */
  public static Decoded decode(byte[] encoded) {
    if (encoded == null || encoded.length == 0) {
      return Decoded.EMPTY;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw new IllegalStateException("participants in the log have format version " + version + "; this"
            + " coordinator reads version " + VERSION + " (was the log written by a newer coordinator?)");
      }
      int count = in.readUnsignedShort();
      List<Participant> participants = new ArrayList<>(count);
      Set<String> forgotten = new HashSet<>();
      for (int i = 0; i < count; i++) {
        int flags = in.readUnsignedByte();
        if ((flags & ~FORGOTTEN) != 0) {
          throw new IllegalStateException("unknown participant flags " + flags + " in the log");
        }
        Participant p = new Participant(readString(in), readString(in));
        participants.add(p);
        if ((flags & FORGOTTEN) != 0) {
          forgotten.add(p.id());
        }
      }
      if (in.available() > 0) {
        throw new IllegalStateException("participants in the log have " + in.available() + " bytes too many");
      }
      return new Decoded(participants, forgotten);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException("unreadable participants in the log: " + e.getMessage(), e);
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeShort(utf8.length);
    out.write(utf8);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] utf8 = new byte[in.readUnsignedShort()];
    in.readFully(utf8);
    return new String(utf8, StandardCharsets.UTF_8);
  }
}
