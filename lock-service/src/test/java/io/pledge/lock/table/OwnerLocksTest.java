package io.pledge.lock.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The owner index entry's rules: versions decide which of a late removal and a later record wins; time drops. */
class OwnerLocksTest {

  @Test
  void markKeepsTheNewerVersionAndTheLaterEnd() {
    OwnerLocks o = OwnerLocks.EMPTY.mark("a", 5, 1_000).mark("b", 2, 500).mark("a", 3, 2_000);
    assertEquals(List.of(new OwnerLocks.Item("a", 5, 2_000), new OwnerLocks.Item("b", 2, 500)), o.items());
    assertEquals(2_000, o.until());
  }

  @Test
  void aRemovalForgetsOnlyWhatWasWrittenAtOrBeforeItsVersion() {
    OwnerLocks o = OwnerLocks.EMPTY.mark("a", 5, 1_000).mark("b", 7, 1_000);
    // "a" was left at version 6 (after its record at 5): gone. "b" was recorded again at 7, after the release that
    // wrote version 6 and whose removal arrives late: it stays.
    OwnerLocks after = o.unmark(Map.of("a", 6L, "b", 6L));
    assertEquals(List.of("b"), after.locks());
    assertEquals(List.of(), after.unmark(Map.of("b", 7L)).locks());
    assertTrue(o.unmark(Map.of("c", 9L)) == o, "a removal of something never recorded changes nothing");
  }

  @Test
  void itemsWhoseTimeHasPassedAreDropped() {
    OwnerLocks o = OwnerLocks.EMPTY.mark("a", 1, 100).mark("b", 1, 200);
    assertEquals(List.of("b"), o.live(100).locks());
    assertTrue(o.live(200).isEmpty());
    assertEquals(Long.MIN_VALUE, OwnerLocks.EMPTY.until());
  }

  @Test
  void repliesSayWhereTheOwnerStands() {
    LockState empty = LockState.empty("l");
    LockTable.Step held = LockTable.acquire(empty, new LockTable.Acquire("o", LockMode.SHARED, 1_000, true, "w1"), 10);
    Reply granted = Reply.of(new LockOp.Acquire(new LockTable.Acquire("o", LockMode.SHARED, 1_000, true, "w1")),
        empty, held.state(), held.decision());
    assertEquals(1_010, granted.ownerUntil());
    assertEquals(held.state().version(), granted.version());
    // Another shares it; "o" asks to upgrade and waits at the head of the queue while it holds.
    LockState shared = LockTable.acquire(held.state(), new LockTable.Acquire("p", LockMode.SHARED, 1_000, true, "w2"),
        20).state();
    LockOp upgrade = new LockOp.Acquire(new LockTable.Acquire("o", LockMode.EXCLUSIVE, 1_000, true, "w3"));
    LockTable.Step queued = upgrade.apply(shared, 30);
    assertEquals(Reply.WAITING, Reply.of(upgrade, shared, queued.state(), queued.decision()).ownerUntil());
    // Releasing its shared hold does not take "o" off the lock: its upgrade still waits.
    long token = queued.state().holder("o").orElseThrow().token();
    LockOp release = new LockOp.Release("o", token);
    LockTable.Step released = release.apply(queued.state(), 40);
    assertEquals(Reply.WAITING, Reply.of(release, queued.state(), released.state(), released.decision()).ownerUntil());
    LockOp all = new LockOp.ReleaseAll("o");
    LockTable.Step gone = all.apply(released.state(), 50);
    Reply left = Reply.of(all, released.state(), gone.state(), gone.decision());
    assertEquals(0, left.ownerUntil());
    assertTrue(left.version() > released.state().version());
    LockOp cancel = new LockOp.CancelWait("w3", "test");
    assertEquals("o", cancel.owner(queued.state()));
    assertEquals(Reply.UNKNOWN, Reply.of(new LockOp.Tick(), gone.state(), gone.state(),
        LockTable.tick(gone.state(), 60).decision()).ownerUntil());
  }
}
