package io.pledge.coordinator.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.coordinator.state.Participant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParticipantsCodecTest {

  final Participant a = new Participant("a", "127.0.0.1:1");
  final Participant b = new Participant("b", "[::1]:2");

  @Test
  void roundTripsOrderedByIdWithTheForgottenOnes() {
    List<Participant> many = new ArrayList<>();
    for (int i = 63; i >= 0; i--) {
      many.add(new Participant("p-\u00e9\u4e2d-" + "x".repeat(100) + i, "host-" + "h".repeat(240) + ":" + (i + 1)));
    }
    ParticipantsCodec.Decoded decoded = ParticipantsCodec.decode(ParticipantsCodec.encode(many, Set.of(
        many.get(5).id())));
    assertEquals(many.stream().sorted(java.util.Comparator.comparing(Participant::id)).toList(),
        decoded.participants());
    assertEquals(Set.of(many.get(5).id()), decoded.forgotten());
  }

  @Test
  void theFormatIsTheDocumentedOne() {
    byte[] encoded = ParticipantsCodec.encode(List.of(b, a), Set.of("b"));
    byte[] expected = {1, 0, 2, 0, 0, 1, 'a', 0, 11, '1', '2', '7', '.', '0', '.', '0', '.', '1', ':', '1',
        1, 0, 1, 'b', 0, 7, '[', ':', ':', '1', ']', ':', '2'};
    assertArrayEquals(expected, encoded);
    assertNull(ParticipantsCodec.encode(List.of()), "none: NULL, as a row without participants");
    assertEquals(ParticipantsCodec.Decoded.EMPTY, ParticipantsCodec.decode(null));
  }

  @Test
  void refusesWhatItCannotHoldOrRead() {
    assertThrows(IllegalArgumentException.class, () -> ParticipantsCodec.encode(List.of(a, a)));
    assertThrows(IllegalArgumentException.class,
        () -> ParticipantsCodec.encode(List.of(new Participant("a", "h".repeat(256)))));
    byte[] good = ParticipantsCodec.encode(List.of(a));
    byte[] newer = good.clone();
    newer[0] = 2;
    assertTrue(assertThrows(IllegalStateException.class, () -> ParticipantsCodec.decode(newer)).getMessage()
        .contains("version 2"));
    byte[] flags = good.clone();
    flags[3] = 4;
    assertThrows(IllegalStateException.class, () -> ParticipantsCodec.decode(flags));
    assertThrows(IllegalStateException.class,
        () -> ParticipantsCodec.decode(java.util.Arrays.copyOf(good, good.length - 1)));
    assertThrows(IllegalStateException.class,
        () -> ParticipantsCodec.decode(java.util.Arrays.copyOf(good, good.length + 1)));
  }
}
