package io.pledge.lock.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.lock.table.Decision.Code;
import io.pledge.lock.table.LockTable.Acquire;
import io.pledge.lock.table.LockTable.Step;
import org.junit.jupiter.api.Test;

/** Issue 14 in the lock table: an owner name is bound to the identity that acquired under it. */
class LockOwnershipTest {

  private static final long T0 = 1_000_000;
  private static final long LEASE = 1_000;
  private static final String ALICE = "spiffe://pledge/app/alice";
  private static final String BOB = "spiffe://pledge/app/bob";

  private static Step acquire(LockState s, String owner, String identity, String requestId) {
    return LockTable.acquire(s, new Acquire(owner, LockMode.EXCLUSIVE, LEASE, true, requestId, identity), T0);
  }

  @Test
  void onlyTheAcquiringIdentityRenewsReleasesOrReentersAndRefusalsChangeNothing() {
    Step a = acquire(LockState.empty("L"), "tx-1", ALICE, "r1");
    Holder held = a.decision().holder();
    assertEquals(ALICE, held.identity());
    long token = held.token();

    Step renew = LockTable.renew(a.state(), "tx-1", token, LEASE, null, BOB, T0);
    Step release = LockTable.release(a.state(), "tx-1", token, BOB, T0);
    Step reenter = acquire(a.state(), "tx-1", BOB, "r2");
    for (Step refused : new Step[] {renew, release, reenter}) {
      assertEquals(Code.NOT_OWNER, refused.decision().code());
      assertSame(a.state(), refused.state(), "a refusal changes nothing");
      assertTrue(refused.decision().message().contains(BOB) && refused.decision().message().contains(
          "only the identity that acquired under an owner, or an operator"), refused.decision().message());
    }

    assertEquals(Code.RENEWED, LockTable.renew(a.state(), "tx-1", token, LEASE, null, ALICE, T0).decision().code());
    Step again = acquire(a.state(), "tx-1", ALICE, "r3");
    assertEquals(Code.REENTERED, again.decision().code());
    assertEquals(ALICE, again.decision().holder().identity(), "reentry keeps the binding");
    // An operator, or a caller whose identity is not known, is not held to it (the edge passes "").
    assertEquals(Code.RELEASED, LockTable.release(again.state(), "tx-1", token, "", T0).decision().code());
  }

  @Test
  void aWaitIsBoundAsItsGrantWillBe() {
    Step a = acquire(LockState.empty("L"), "tx-1", ALICE, "r1");
    Step bobWaits = acquire(a.state(), "tx-2", BOB, "r2");
    assertEquals(Code.QUEUED, bobWaits.decision().code());
    assertEquals(Code.NOT_OWNER, acquire(bobWaits.state(), "tx-2", ALICE, "r3").decision().code(),
        "a waiting owner is bound too");
    Step released = LockTable.release(bobWaits.state(), "tx-1", a.decision().holder().token(), ALICE, T0);
    Holder promoted = released.state().holder("tx-2").orElseThrow();
    assertEquals(BOB, promoted.identity(), "the promoted grant is the waiter's identity's");
    assertEquals(Code.NOT_OWNER, LockTable.release(released.state(), "tx-2", promoted.token(), ALICE, T0)
        .decision().code());
  }

  @Test
  void withoutIdentitiesNothingIsBound() {
    Step a = acquire(LockState.empty("L"), "tx-1", "", "r1");
    long token = a.decision().holder().token();
    assertEquals(Code.RENEWED, LockTable.renew(a.state(), "tx-1", token, LEASE, null, BOB, T0).decision().code(),
        "a grant made without an identity (plaintext) is bound to none");
    assertEquals(Code.REENTERED, acquire(a.state(), "tx-1", BOB, "r2").decision().code());
  }
}
