package io.pledge.lock.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.lock.table.Decision.Code;
import io.pledge.lock.table.LockTable.Acquire;
import io.pledge.lock.table.LockTable.Reassertion;
import io.pledge.lock.table.LockTable.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Re-assertion of lost locks during a lock's grace (lock-delay): the pure rules. */
class ReassertTest {

  private static final long T0 = 5_000_000;
  private static final long LEASE = 1_000;
  /** A lost state, as a restarted member sees it: empty, in its start-up grace. */
  private static final LockState LOST = LockState.empty("L").delayedUntil(T0 + 10_000);
  private static final Reassertion EXCLUSIVE = new Reassertion(LockMode.EXCLUSIVE, 1);
  private static final Reassertion SHARED = new Reassertion(LockMode.SHARED, 1);

  private static Step reassert(LockState s, String owner, long token, Reassertion r, long now) {
    return LockTable.renew(s, owner, token, LEASE, r, now);
  }

  @Test
  void aLostLockComesBackWithItsTokenAndTheNextGrantIsHigher() {
    Step back = reassert(LOST, "A", 4242, EXCLUSIVE, T0);
    assertEquals(Code.REASSERTED, back.decision().code());
    assertEquals(4242, back.decision().holder().token());
    assertEquals(T0 + LEASE, back.decision().holder().expiresAt());
    Step again = reassert(back.state(), "A", 4242, EXCLUSIVE, T0 + 1);
    assertEquals(Code.RENEWED, again.decision().code(), "once back, it is an ordinary renew");
    // A waiter queued during the grace gets it only after the holder leaves, with a higher token even if the clock
    // floor is lower than the re-asserted token.
    long far = Long.MAX_VALUE / 2048;
    Step held = LockTable.renew(LOST, "A", far, 60_000, EXCLUSIVE, T0);
    Step queued = LockTable.acquire(held.state(), new Acquire("B", LockMode.EXCLUSIVE, LEASE, true, "w1"), T0);
    assertEquals(Code.QUEUED, queued.decision().code());
    Step released = LockTable.release(queued.state(), "A", far, T0 + 20_000);
    assertEquals("B", released.decision().promoted().get(0).owner());
    assertTrue(released.decision().promoted().get(0).token() > far);
  }

  @Test
  void noReassertionOutsideTheGraceOrWithoutTheHoldersClaim() {
    assertEquals(Code.NOT_HELD, reassert(LOST, "A", 7, EXCLUSIVE, T0 + 10_000).decision().code(), "grace over");
    assertEquals(Code.NOT_HELD, reassert(LOST, "A", 7, null, T0).decision().code(), "a plain renew never creates");
  }

  @Test
  void aGrantTheStateKnowsEndedIsNotResurrected() {
    // The state survived (a partition moved with its backup): it issued token 10 and has seen it end.
    Step a = LockTable.acquire(LockState.empty("L"), new Acquire("A", LockMode.EXCLUSIVE, LEASE, false, "r1"), 10);
    long token = a.decision().holder().token();
    LockState ended = LockTable.release(a.state(), "A", token, 11).state().delayedUntil(T0 + 10_000);
    Step stale = reassert(ended, "A", token, EXCLUSIVE, T0);
    assertEquals(Code.NOT_HELD, stale.decision().code(), stale.decision().message());
  }

  @Test
  void conflictingClaimsAreOrderedByToken() {
    Step older = reassert(LOST, "A", 100, EXCLUSIVE, T0);
    Step newer = reassert(older.state(), "B", 200, EXCLUSIVE, T0);
    assertEquals(Code.REASSERTED, newer.decision().code(), "B's grant came after A's had ended");
    assertEquals(List.of("B"), newer.state().holders().stream().map(Holder::owner).toList());
    assertEquals("A", newer.decision().expired().get(0).owner());
    Step late = reassert(newer.state(), "A", 100, EXCLUSIVE, T0 + 1);
    assertEquals(Code.NOT_HELD, late.decision().code(), "A's claim is older than B's");
    assertEquals(List.of("B"), late.state().holders().stream().map(Holder::owner).toList());
  }

  @Test
  void sharedHoldersComeBackInAnyOrderAndCountsAreKept() {
    Step s2 = reassert(LOST, "S2", 200, SHARED, T0);
    Step s1 = reassert(s2.state(), "S1", 100, SHARED, T0);
    assertEquals(Code.REASSERTED, s1.decision().code());
    assertEquals(2, s1.state().holders().size());
    Step x = reassert(s1.state(), "X", 150, EXCLUSIVE, T0);
    assertEquals(Code.NOT_HELD, x.decision().code(), "S2 shares it with a later token");
    // Two handles of one reentrant owner: the larger count is the grant's.
    Step first = reassert(LOST, "R", 300, new Reassertion(LockMode.EXCLUSIVE, 1), T0);
    Step second = reassert(first.state(), "R", 300, new Reassertion(LockMode.EXCLUSIVE, 2), T0);
    assertEquals(2, second.state().holder("R").orElseThrow().count());
  }
}
