package io.pledge.coordinator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The reserved-id table: an id begins at most once, expiry ends free ids, and the bounds hold. */
class IdBlocksTest {

  @Test
  void anIdIsFreeUntilClaimedAndNeverAgain() {
    IdBlocks blocks = new IdBlocks(10, 5, 1_000);
    blocks.add(11, 10, 5_000, "alice", "host-a");
    assertEquals(IdBlocks.State.FREE, blocks.state(11, 0));
    assertEquals(IdBlocks.State.FREE, blocks.state(20, 0));
    assertEquals(IdBlocks.State.UNKNOWN, blocks.state(10, 0), "before the block");
    assertEquals(IdBlocks.State.UNKNOWN, blocks.state(21, 0), "after the block");
    blocks.claim(15, 0);
    assertEquals(IdBlocks.State.UNKNOWN, blocks.state(15, 0));
    assertThrows(IllegalStateException.class, () -> blocks.claim(15, 0));
    assertEquals("alice", blocks.blockOf(16).owner());
  }

  @Test
  void expiryEndsFreeIdsAndRetentionForgetsTheBlock() {
    IdBlocks blocks = new IdBlocks(10, 5, 1_000);
    blocks.add(1, 3, 5_000, "alice", "host-a");
    blocks.claim(1, 4_999);
    assertEquals(IdBlocks.State.EXPIRED, blocks.state(2, 5_000));
    assertEquals(IdBlocks.State.UNKNOWN, blocks.state(1, 5_000), "claimed stays the manager's");
    assertThrows(IllegalStateException.class, () -> blocks.claim(2, 5_000));
    blocks.prune(5_999);
    assertEquals(IdBlocks.State.EXPIRED, blocks.state(2, 5_999));
    blocks.prune(6_000);
    assertEquals(IdBlocks.State.UNKNOWN, blocks.state(2, 6_000));
    assertEquals(0, blocks.size());
  }

  @Test
  void boundsPerCallerAndInAllCountBlocksWithIdsLeft() {
    IdBlocks blocks = new IdBlocks(4, 2, 0);
    assertNull(blocks.refusal("a", 0));
    blocks.add(1, 2, 100, "", "a");
    blocks.add(3, 2, 100, "", "a");
    assertNotNull(blocks.refusal("a", 0), "a holds two blocks with ids left");
    assertNull(blocks.refusal("b", 0));
    // Every id of the first block begun: it no longer counts.
    blocks.claim(1, 0);
    blocks.claim(2, 0);
    assertNull(blocks.refusal("a", 0));
    blocks.add(5, 1, 100, "", "b");
    blocks.add(6, 1, 100, "", "b");
    blocks.add(7, 1, 100, "", "c");
    assertTrue(blocks.refusal("d", 0).contains("4 blocks"), blocks.refusal("d", 0));
    // Expired blocks stop counting against their caller.
    assertNull(blocks.refusal("a", 100));
  }

  @Test
  void randomClaimsBeginEachIdOnce() {
    Random random = new Random(16);
    IdBlocks blocks = new IdBlocks(100, 100, 10);
    long next = 1;
    Set<Long> begun = new HashSet<>();
    for (int b = 0; b < 50; b++) {
      int count = 1 + random.nextInt(IdBlocks.MAX_BLOCK);
      blocks.add(next, count, 1_000 + random.nextInt(1_000), "", "host");
      next += count;
    }
    for (int i = 0; i < 200_000; i++) {
      long id = 1 + (long) random.nextInt((int) next + 10);
      long now = random.nextInt(2_100);
      if (blocks.state(id, now) == IdBlocks.State.FREE) {
        blocks.claim(id, now);
        assertTrue(begun.add(id), "id " + id + " began twice");
      }
    }
    assertTrue(begun.size() > 1_000);
  }
}
