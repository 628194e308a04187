package io.pledge.participant.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The client's blocks: ids in order, only while the transaction fits before the block's expiry, the next ahead. */
class ReservedIdsTest {

  private static ReservedIds.Block block(String prefix, long first, int count, long expires) {
    return new ReservedIds.Block(prefix, first, count, expires, 60_000);
  }

  @Test
  void idsComeInOrderAndTheNextBlockIsReservedAtHalf() {
    ReservedIds ids = new ReservedIds();
    assertTrue(ids.shouldReserve(0));
    ids.reserving();
    assertFalse(ids.shouldReserve(0), "one reservation at a time");
    ids.reserved(block("c:1:", 1, 4, 120_000));
    assertEquals("c:1:1", ids.take(0, 0).txId());
    assertEquals(60_000, ids.take(0, 0).deadlineMillis() - 0, "the default timeout from the block");
    assertTrue(ids.shouldReserve(0), "half of the block used");
    ids.reserving();
    ids.reserved(block("c:1:", 101, 4, 120_000));
    assertEquals("c:1:3", ids.take(0, 0).txId());
    assertEquals("c:1:4", ids.take(0, 0).txId());
    assertEquals("c:1:101", ids.take(0, 0).txId(), "then the block ahead");
  }

  @Test
  void noIdWhoseTransactionWouldOutliveItsBlock() {
    ReservedIds ids = new ReservedIds();
    ids.reserving();
    ids.reserved(block("c:1:", 1, 100, 120_000));
    assertNull(ids.take(30_000, 0), "a timeout of its own: Begin");
    assertEquals("c:1:1", ids.take(60_000, 59_000).txId(), "the default, named");
    assertNull(ids.take(0, 59_001 + ReservedIds.CLOCK_SLACK_MILLIS), "the default no longer fits either");
    assertTrue(ids.shouldReserve(60_000), "time to reserve: the block serves default transactions no more");
  }

  @Test
  void anotherEpochReplacesTheBlocksAndAnEndedOneIsDropped() {
    ReservedIds ids = new ReservedIds();
    ids.reserving();
    ids.reserved(block("c:1:", 1, 100, 120_000));
    ids.take(0, 0);
    ids.reserving();
    ids.reserved(block("c:2:", 1, 100, 120_000));
    assertEquals("c:2:1", ids.take(0, 0).txId(), "ids of a new epoch replace the old ones at once");
    ids.epochEnded("c:2:1");
    assertNull(ids.take(0, 0));
    assertTrue(ids.shouldReserve(0));
  }

  @Test
  void aFailedReservationWaitsBeforeTheNext() {
    ReservedIds ids = new ReservedIds();
    ids.reserving();
    ids.failed(1_000);
    assertFalse(ids.shouldReserve(999));
    assertTrue(ids.shouldReserve(1_000));
  }
}
