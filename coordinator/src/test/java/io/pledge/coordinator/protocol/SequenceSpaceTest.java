package io.pledge.coordinator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SequenceSpaceTest {

  private static final int SLOT = SequenceSpace.SLOT;

  @Test
  void oneManagerIssuesOneTwoThreeAsBefore() {
    SequenceSpace space = SequenceSpace.single();
    for (long expected = 1; expected <= 3 * SLOT + 5; expected++) {
      assertEquals(expected, space.next());
    }
    assertTrue(space.issued(3 * SLOT + 5));
    assertFalse(space.issued(3 * SLOT + 6));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 7})
  void routingIsTotalAndDisjoint(int managers) {
    List<SequenceSpace> spaces = spaces(managers);
    for (long sequence = 1; sequence <= 20L * SLOT; sequence++) {
      int owner = SequenceSpace.owner(sequence, managers);
      assertTrue(owner >= 0 && owner < managers);
      int owning = 0;
      for (SequenceSpace s : spaces) {
        if (s.owns(sequence)) {
          owning++;
          assertEquals(owner, s.index());
        }
      }
      assertEquals(1, owning, "sequence " + sequence + " must have exactly one owner");
    }
    // Whole slots: the slot boundaries are where the owner changes.
    assertEquals(0, SequenceSpace.owner(SLOT, managers));
    assertEquals(1 % managers, SequenceSpace.owner(SLOT + 1, managers));
    assertEquals(Long.MAX_VALUE / SLOT % managers, SequenceSpace.owner(Long.MAX_VALUE, managers),
        "the largest sequence routes too");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4})
  void eachManagerIssuesOnlyItsOwnIncreasingAndTogetherTheyMissNothing(int managers) {
    List<SequenceSpace> spaces = spaces(managers);
    Set<Long> all = new HashSet<>();
    for (SequenceSpace s : spaces) {
      long last = 0;
      for (int i = 0; i < 3 * SLOT; i++) {
        long sequence = s.next();
        assertTrue(sequence > last, "increasing");
        assertEquals(s.index(), SequenceSpace.owner(sequence, managers), "only its own slots");
        assertTrue(all.add(sequence), "no sequence issued twice");
        last = sequence;
      }
    }
    // Three slots each, no gaps: together the first 3 * managers slots.
    for (long sequence = 1; sequence <= 3L * SLOT * managers; sequence++) {
      assertTrue(all.contains(sequence), "sequence " + sequence + " issued by its owner");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void reserveHandsOutContiguousBlocksThatNeverCrossASlot(int managers) {
    Random random = new Random(16L + managers);
    for (SequenceSpace s : spaces(managers)) {
      long end = 0;
      List<long[]> blocks = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        int count = random.nextInt(4) == 0 ? 1 + random.nextInt(SLOT) : 1 + random.nextInt(100);
        long first = i % 5 == 0 ? s.next() : s.reserve(count);
        if (i % 5 == 0) {
          count = 1;
        }
        long lastOfBlock = first + count - 1;
        assertTrue(first > end, "blocks do not overlap and increase");
        assertEquals((first - 1) / SLOT, (lastOfBlock - 1) / SLOT, "block " + first + "+" + count + " stays in a slot");
        assertEquals(s.index(), SequenceSpace.owner(first, managers), "the block is this manager's");
        for (long q = first; q <= lastOfBlock; q++) {
          assertTrue(s.issued(q));
        }
        blocks.add(new long[] {first, count});
        end = lastOfBlock;
      }
      assertFalse(s.issued(end + 1 + SLOT * (long) managers), "not yet issued");
    }
    SequenceSpace full = new SequenceSpace(0, managers);
    assertEquals(1, full.reserve(SLOT));
    assertEquals(1 + (long) SLOT * managers, full.reserve(SLOT), "a whole slot, then the next one of this space");
  }

  @Test
  void aBlockThatDoesNotFitSkipsTheRestOfTheSlot() {
    SequenceSpace s = new SequenceSpace(1, 2);
    long first = s.next();
    assertEquals(SLOT + 1, first);
    assertEquals(SLOT + 2, s.reserve(SLOT - 1), "exactly fills the slot");
    assertEquals(3L * SLOT + 1, s.next(), "slot 3 is manager 1's next");
    assertEquals(5L * SLOT + 1, s.reserve(SLOT), "1023 left in slot 3: skipped, slot 5");
    assertTrue(s.issued(3L * SLOT + 500), "a skipped sequence is never issued later: presumed abort is true of it");
    assertFalse(s.issued(2L * SLOT + 1), "manager 0's");
  }

  @Test
  void issuedIsFalseForOthersFutureAndNonPositive() {
    SequenceSpace s = new SequenceSpace(0, 4);
    assertFalse(s.issued(1));
    long a = s.next();
    assertTrue(s.issued(a));
    assertFalse(s.issued(a + 1));
    assertFalse(s.issued(0));
    assertFalse(s.issued(-5));
    assertFalse(s.issued(SLOT + 1), "manager 1's slot");
  }

  @Test
  void badArgumentsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new SequenceSpace(2, 2));
    assertThrows(IllegalArgumentException.class, () -> new SequenceSpace(-1, 2));
    assertThrows(IllegalArgumentException.class, () -> new SequenceSpace(0, 0));
    assertThrows(IllegalArgumentException.class, () -> SequenceSpace.single().reserve(0));
    assertThrows(IllegalArgumentException.class, () -> SequenceSpace.single().reserve(SLOT + 1));
    assertThrows(IllegalArgumentException.class, () -> SequenceSpace.owner(0, 2));
  }

  private static List<SequenceSpace> spaces(int managers) {
    List<SequenceSpace> spaces = new ArrayList<>();
    for (int i = 0; i < managers; i++) {
      spaces.add(new SequenceSpace(i, managers));
    }
    return spaces;
  }
}
