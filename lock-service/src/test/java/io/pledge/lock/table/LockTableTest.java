package io.pledge.lock.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.lock.table.Decision.Code;
import io.pledge.lock.table.LockTable.Acquire;
import io.pledge.lock.table.LockTable.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

class LockTableTest {

  private static final long T0 = 1_000_000;
  private static final long LEASE = 1_000;
  private int ids;

  private Acquire req(String owner, LockMode mode, boolean wait) {
    return new Acquire(owner, mode, LEASE, wait, "r" + (++ids));
  }

  private Step acquire(LockState s, String owner, LockMode mode, long now) {
    return LockTable.acquire(s, req(owner, mode, true), now);
  }

  @Test
  void exclusiveExcludesEveryone() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    assertEquals(Code.GRANTED, a.decision().code());
    Step b = LockTable.acquire(a.state(), req("B", LockMode.SHARED, false), T0);
    assertEquals(Code.BUSY, b.decision().code());
    assertEquals(List.of("A"), b.decision().blockedBy());
    assertSame(a.state(), b.state(), "a refusal changes nothing");
    Step c = LockTable.acquire(a.state(), req("C", LockMode.EXCLUSIVE, false), T0);
    assertEquals(Code.BUSY, c.decision().code());
  }

  @Test
  void sharedHoldersCoexistButExcludeExclusive() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.SHARED, T0);
    Step b = acquire(a.state(), "B", LockMode.SHARED, T0);
    assertEquals(Code.GRANTED, b.decision().code());
    assertEquals(2, b.state().holders().size());
    assertTrue(b.decision().holder().token() > a.decision().holder().token());
    Step c = LockTable.acquire(b.state(), req("C", LockMode.EXCLUSIVE, false), T0);
    assertEquals(Code.BUSY, c.decision().code());
  }

  @Test
  void reentrancyCountsAndKeepsToken() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    Step a2 = acquire(a.state(), "A", LockMode.EXCLUSIVE, T0 + 10);
    assertEquals(Code.REENTERED, a2.decision().code());
    assertEquals(2, a2.decision().holder().count());
    assertEquals(a.decision().holder().token(), a2.decision().holder().token());
    Step a3 = acquire(a2.state(), "A", LockMode.SHARED, T0 + 20);
    assertEquals(Code.REENTERED, a3.decision().code(), "exclusive covers shared");
    long token = a.decision().holder().token();
    Step r1 = LockTable.release(a3.state(), "A", token, T0 + 30);
    assertEquals(2, r1.decision().holder().count());
    Step r2 = LockTable.release(r1.state(), "A", token, T0 + 30);
    Step r3 = LockTable.release(r2.state(), "A", token, T0 + 30);
    assertEquals(Code.RELEASED, r3.decision().code());
    assertNull(r3.decision().holder());
    assertTrue(r3.state().holders().isEmpty());
    assertEquals(Code.NOT_HELD, LockTable.release(r3.state(), "A", token, T0 + 30).decision().code());
  }

  @Test
  void soleSharedHolderUpgradesWithNewToken() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.SHARED, T0);
    Step up = acquire(a.state(), "A", LockMode.EXCLUSIVE, T0 + 1);
    assertEquals(Code.UPGRADED, up.decision().code());
    assertEquals(LockMode.EXCLUSIVE, up.decision().holder().mode());
    assertEquals(2, up.decision().holder().count());
    assertTrue(up.decision().holder().token() > a.decision().holder().token());
  }

  @Test
  void upgradeWithOtherSharedHoldersWaitsAtHeadOfQueue() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.SHARED, T0);
    Step b = acquire(a.state(), "B", LockMode.SHARED, T0);
    Step c = acquire(b.state(), "C", LockMode.EXCLUSIVE, T0);
    assertEquals(Code.QUEUED, c.decision().code());
    Step up = acquire(c.state(), "A", LockMode.EXCLUSIVE, T0 + 1);
    assertEquals(Code.QUEUED, up.decision().code());
    assertEquals(1, up.decision().position());
    assertEquals(List.of("B"), up.decision().blockedBy());
    Step rb = LockTable.release(up.state(), "B", b.decision().holder().token(), T0 + 2);
    assertEquals(1, rb.decision().promoted().size());
    Holder upgraded = rb.decision().promoted().get(0);
    assertEquals("A", upgraded.owner());
    assertEquals(LockMode.EXCLUSIVE, upgraded.mode());
    assertEquals(List.of("C"), rb.state().waiters().stream().map(Waiter::owner).toList());
  }

  @Test
  void waitersAreGrantedInFifoOrder() {
    Step s = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    long tokenA = s.decision().holder().token();
    for (String o : List.of("B", "C", "D")) {
      s = acquire(s.state(), o, LockMode.EXCLUSIVE, T0 + 1);
      assertEquals(Code.QUEUED, s.decision().code());
    }
    assertEquals(3, s.decision().position());
    // a shared request must not overtake the queue even though nobody would conflict after A... FIFO
    Step e = LockTable.acquire(s.state(), req("E", LockMode.SHARED, false), T0 + 1);
    assertEquals(Code.BUSY, e.decision().code());
    Step r = LockTable.release(s.state(), "A", tokenA, T0 + 2);
    assertEquals("B", r.decision().promoted().get(0).owner());
    long last = r.decision().promoted().get(0).token();
    r = LockTable.release(r.state(), "B", last, T0 + 3);
    assertEquals("C", r.decision().promoted().get(0).owner());
    assertTrue(r.decision().promoted().get(0).token() > last);
  }

  @Test
  void sharedWaitersAtHeadEnterTogether() {
    Step s = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    s = acquire(s.state(), "B", LockMode.SHARED, T0);
    s = acquire(s.state(), "C", LockMode.SHARED, T0);
    s = acquire(s.state(), "D", LockMode.EXCLUSIVE, T0);
    Step r = LockTable.release(s.state(), "A", s.state().holders().get(0).token(), T0 + 1);
    assertEquals(List.of("B", "C"), r.decision().promoted().stream().map(Holder::owner).toList());
    assertEquals(List.of("D"), r.state().waiters().stream().map(Waiter::owner).toList());
  }

  @Test
  void expiredLeaseFreesLockAndWakesNextWaiter() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    Step b = acquire(a.state(), "B", LockMode.EXCLUSIVE, T0 + 1);
    assertEquals(T0 + LEASE, b.state().nextWakeAt(T0 + 1));
    Step early = LockTable.tick(b.state(), T0 + LEASE - 1);
    assertTrue(early.decision().expired().isEmpty(), "no sooner than the lease");
    assertEquals("A", early.state().holders().get(0).owner());
    Step t = LockTable.tick(b.state(), T0 + LEASE);
    assertEquals(List.of("A"), t.decision().expired().stream().map(Holder::owner).toList());
    assertEquals(List.of("B"), t.decision().promoted().stream().map(Holder::owner).toList());
    assertEquals(Code.NOT_HELD, LockTable.renew(t.state(), "A", a.decision().holder().token(), LEASE, T0 + LEASE)
        .decision().code(), "renewing an expired lease is refused");
  }

  @Test
  void renewExtendsLeaseOnlyForHolderWithToken() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    long token = a.decision().holder().token();
    Step bad = LockTable.renew(a.state(), "A", token + 1, LEASE, T0 + 500);
    assertEquals(Code.TOKEN_MISMATCH, bad.decision().code());
    assertSame(a.state(), bad.state());
    assertEquals(Code.NOT_HELD, LockTable.renew(a.state(), "B", token, LEASE, T0 + 500).decision().code());
    Step ok = LockTable.renew(a.state(), "A", token, LEASE, T0 + 900);
    assertEquals(T0 + 900 + LEASE, ok.decision().holder().expiresAt());
    assertTrue(LockTable.tick(ok.state(), T0 + LEASE + 10).decision().expired().isEmpty());
  }

  @Test
  void releaseByNonHolderOrWrongTokenChangesNothing() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    Step notHolder = LockTable.release(a.state(), "B", a.decision().holder().token(), T0);
    assertEquals(Code.NOT_HELD, notHolder.decision().code());
    assertSame(a.state(), notHolder.state());
    Step wrong = LockTable.release(a.state(), "A", 1, T0);
    assertEquals(Code.TOKEN_MISMATCH, wrong.decision().code());
    assertSame(a.state(), wrong.state());
  }

  @Test
  void releaseAllDropsGrantAndWaitsOfOwner() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    a = acquire(a.state(), "A", LockMode.EXCLUSIVE, T0);
    Step b = acquire(a.state(), "B", LockMode.EXCLUSIVE, T0);
    String waitB = b.state().waiters().get(0).waitId();
    Step all = LockTable.releaseAll(b.state(), "A", T0 + 1);
    assertEquals(List.of("B"), all.decision().promoted().stream().map(Holder::owner).toList());
    Step c = acquire(all.state(), "C", LockMode.EXCLUSIVE, T0 + 1);
    Step allC = LockTable.releaseAll(c.state(), "C", T0 + 2);
    assertEquals(1, allC.decision().position());
    String waitC = c.state().waiters().get(0).waitId();
    assertTrue(allC.state().cancellation(waitC).get().reason().startsWith("CANCELLED"));
    assertFalse(allC.state().waiter(waitB).isPresent());
    Step again = LockTable.releaseAll(allC.state(), "C", T0 + 3);
    assertSame(allC.state(), again.state(), "idempotent");
  }

  @Test
  void cancelWaitRemembersReasonOrReportsGrant() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    Step b = acquire(a.state(), "B", LockMode.EXCLUSIVE, T0);
    String waitB = b.state().waiters().get(0).waitId();
    Step cancelled = LockTable.cancelWait(b.state(), waitB, "DEADLOCK: test", T0 + 1);
    assertEquals(Code.CANCELLED, cancelled.decision().code());
    assertEquals("DEADLOCK: test", cancelled.state().cancellation(waitB).get().reason());
    assertEquals(Code.NOT_WAITING, LockTable.cancelWait(cancelled.state(), waitB, "x", T0 + 1).decision().code());
    Step granted = LockTable.cancelWait(b.state(), waitB, "timeout", T0 + LEASE);
    assertEquals(Code.GRANTED_BEFORE_CANCEL, granted.decision().code(), "A's lease ended first: B got it");
  }

  @Test
  void duplicateWaitIsRefused() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    Step b = acquire(a.state(), "B", LockMode.EXCLUSIVE, T0);
    Step b2 = acquire(b.state(), "B", LockMode.EXCLUSIVE, T0);
    assertEquals(Code.ALREADY_WAITING, b2.decision().code());
    assertSame(b.state(), b2.state());
  }

  @Test
  void lockDelayHoldsBackNewGrantsButNotReentry() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.SHARED, T0);
    LockState delayed = a.state().delayedUntil(T0 + 5_000);
    Step b = LockTable.acquire(delayed, req("B", LockMode.SHARED, false), T0 + 1);
    assertEquals(Code.BUSY, b.decision().code());
    assertTrue(b.decision().message().contains("lock-delay"));
    assertEquals(Code.REENTERED, acquire(delayed, "A", LockMode.SHARED, T0 + 1).decision().code());
    Step queued = acquire(delayed, "B", LockMode.SHARED, T0 + 1);
    assertEquals(T0 + LEASE, queued.state().nextWakeAt(T0 + 1));
    assertTrue(LockTable.tick(queued.state(), T0 + 4_999).decision().promoted().isEmpty());
    assertEquals("B", LockTable.tick(queued.state(), T0 + 5_000).decision().promoted().get(0).owner());
  }

  @Test
  void tokensGrowWithTheClockSoALostStateCannotReissueOldTokens() {
    Step a = acquire(LockState.empty("L"), "A", LockMode.EXCLUSIVE, T0);
    Step fresh = acquire(LockState.empty("L"), "B", LockMode.EXCLUSIVE, T0 + 1);
    assertTrue(fresh.decision().holder().token() > a.decision().holder().token());
    Step r = LockTable.release(a.state(), "A", a.decision().holder().token(), T0);
    Step again = acquire(r.state(), "A", LockMode.EXCLUSIVE, T0);
    assertTrue(again.decision().holder().token() > a.decision().holder().token(), "same millisecond still grows");
  }
}
