package io.pledge.examples.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.participant.client.CoordinatorUnavailableException;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.client.TxResult;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class PlacementTest {

  private static final PlannedOrder ORDER = new PlannedOrder("r1-001", "alice", "GIZMO", 2, 180);
  private static final TxOutcome ROLLED_BACK =
      new TxOutcome("c:1:1", TxOutcome.Status.ABORTED, "ABORT_CAUSE_ROLLBACK_REQUESTED", "");

  @Test
  void aCommit() {
    Placement p = Placement.of(ORDER, new TxResult<>(new TxOutcome("c:1:1", TxOutcome.Status.COMMITTED, "", ""),
        null, null));
    assertEquals(Placement.Result.COMMITTED, p.result());
    assertTrue(p.committed());
    assertFalse(p.aborted());
    assertTrue(p.line().contains("COMMITTED [tx c:1:1]"), p.line());
  }

  @Test
  void aRefusalNamesItsBusinessReason() {
    Placement sold = Placement.of(ORDER, new TxResult<>(ROLLED_BACK, null,
        new Refused("inventory", 409, "OUT_OF_STOCK", "GIZMO has 1 left, order r1-001 wants 2")));
    assertEquals(Placement.Result.OUT_OF_STOCK, sold.result());
    assertTrue(sold.aborted());
    assertEquals("inventory refused OUT_OF_STOCK: GIZMO has 1 left, order r1-001 wants 2"
        + " (ABORT_CAUSE_ROLLBACK_REQUESTED)", sold.detail());
    Placement broke = Placement.of(ORDER, new TxResult<>(ROLLED_BACK, null,
        new Refused("payments", 409, "INSUFFICIENT_FUNDS", "alice has 10")));
    assertEquals(Placement.Result.INSUFFICIENT_FUNDS, broke.result());
    Placement busy = Placement.of(ORDER, new TxResult<>(ROLLED_BACK, null,
        new Refused("inventory", 409, "BUSY", "another order holds the row")));
    assertEquals(Placement.Result.REFUSED, busy.result());
  }

  @Test
  void anUnreachableServiceIsAFailureNotARefusal() {
    Placement p = Placement.of(ORDER, new TxResult<>(ROLLED_BACK, null, new ConnectException("refused")));
    assertEquals(Placement.Result.FAILED, p.result());
    assertTrue(p.aborted());
  }

  @Test
  void aNoVoteIsReadFromTheCoordinatorsAbortDetail() {
    TxOutcome votedNo = new TxOutcome("c:1:1", TxOutcome.Status.ABORTED, "ABORT_CAUSE_VOTED_NO",
        "participant inventory: inventory refused: OUT_OF_STOCK: GIZMO has 0 left");
    assertEquals(Placement.Result.OUT_OF_STOCK, Placement.of(ORDER, new TxResult<>(votedNo, null, null)).result());
    TxOutcome timedOut = new TxOutcome("c:1:1", TxOutcome.Status.ABORTED, "ABORT_CAUSE_TRANSACTION_TIMEOUT", "");
    assertEquals(Placement.Result.FAILED, Placement.of(ORDER, new TxResult<>(timedOut, null, null)).result());
  }

  @Test
  void aCoordinatorFailureLeavesTheOutcomeUnknown() {
    Placement p = Placement.unknown(ORDER, new CoordinatorUnavailableException("c:1:1", "down", null));
    assertEquals(Placement.Result.UNKNOWN, p.result());
    assertEquals("c:1:1", p.txId());
    assertFalse(p.aborted());
    assertFalse(p.committed());
  }
}
