package io.pledge.examples.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.examples.orders.Snapshot.Health;
import io.pledge.examples.orders.Snapshot.Order;
import io.pledge.examples.orders.Snapshot.Payment;
import io.pledge.examples.orders.Snapshot.Reservation;
import io.pledge.examples.orders.Snapshot.Sku;
import io.pledge.examples.orders.Snapshot.Wallet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsistencyCheckTest {

  private static final PlannedOrder O1 = new PlannedOrder("r-1", "alice", "WIDGET", 2, 50);
  private static final PlannedOrder O2 = new PlannedOrder("r-2", "bob", "WIDGET", 1, 25);
  private static final List<Health> SETTLED = List.of(new Health("orders", 0, 0, 0, 0),
      new Health("inventory", 0, 0, 0, 0), new Health("payments", 0, 0, 0, 0));

  /** O1 committed, O2 refused: the databases as they should be. */
  private static Snapshot consistent() {
    return new Snapshot(List.of(new Order("r-1", "alice", "WIDGET", 2, 50, "PLACED")),
        List.of(new Sku("WIDGET", 25, 8, 10)), List.of(new Reservation("r-1", "WIDGET", 2)),
        List.of(new Wallet("alice", 950, 1000), new Wallet("bob", 10, 10)), List.of(new Payment("r-1", "alice", 50)),
        SETTLED, 0);
  }

  private static final List<Placement> PLACEMENTS = List.of(
      new Placement(O1, "c:1:1", Placement.Result.COMMITTED, ""),
      new Placement(O2, "c:1:2", Placement.Result.INSUFFICIENT_FUNDS, "bob has 10"));

  @Test
  void agreeingDatabasesAreConsistent() {
    ConsistencyCheck.Verdict v = ConsistencyCheck.check(consistent(), PLACEMENTS);
    assertTrue(v.ok(), v.line());
    assertTrue(v.line().startsWith("CONSISTENT: 1 orders, 1 reservations, 1 payments;"), v.line());
  }

  @Test
  void anOrderWithoutItsPaymentIsFound() {
    Snapshot s = consistent();
    Snapshot noPayment = new Snapshot(s.orders(), s.skus(), s.reservations(),
        List.of(new Wallet("alice", 1000, 1000), new Wallet("bob", 10, 10)), List.of(), SETTLED, 0);
    ConsistencyCheck.Verdict v = ConsistencyCheck.check(noPayment, PLACEMENTS);
    assertEquals(List.of("order r-1 has no payment"), v.problems());
    assertTrue(v.line().startsWith("INCONSISTENT (1 problem(s)): order r-1 has no payment"), v.line());
  }

  @Test
  void aReservationWithoutItsOrderBreaksTheStockToo() {
    Snapshot s = consistent();
    Snapshot orphan = new Snapshot(s.orders(), List.of(new Sku("WIDGET", 25, 8, 10)),
        List.of(new Reservation("r-1", "WIDGET", 2), new Reservation("r-2", "WIDGET", 1)), s.wallets(), s.payments(),
        SETTLED, 0);
    List<String> problems = ConsistencyCheck.check(orphan, List.of()).problems();
    assertEquals(List.of("reservation without an order: r-2", "sku WIDGET: stock 8 + reserved 3 != received 10"),
        problems);
  }

  @Test
  void mismatchedRowsAreFound() {
    Snapshot s = consistent();
    Snapshot wrong = new Snapshot(s.orders(), s.skus(), List.of(new Reservation("r-1", "WIDGET", 1)), s.wallets(),
        List.of(new Payment("r-1", "alice", 40)), SETTLED, 0);
    List<String> problems = ConsistencyCheck.check(wrong, List.of()).problems();
    assertTrue(problems.contains("order r-1 is for 2 x WIDGET but reserved 1 x WIDGET"), problems.toString());
    assertTrue(problems.contains("order r-1 costs alice 50 but alice paid 40"), problems.toString());
    assertTrue(problems.contains("wallet alice: balance 950 + paid 40 != deposited 1000"), problems.toString());
  }

  @Test
  void somethingInDoubtIsNotSettled() {
    Snapshot s = consistent();
    Snapshot inDoubt = new Snapshot(s.orders(), s.skus(), s.reservations(), s.wallets(), s.payments(),
        List.of(new Health("orders", 1, 1, 0, 0), SETTLED.get(1), SETTLED.get(2)), 2);
    List<String> problems = ConsistencyCheck.check(inDoubt, PLACEMENTS).problems();
    assertEquals(List.of("orders not settled: in doubt 1, prepared XA branches 1, open branches 0, rollback-only 0",
        "the coordinator has 2 unfinished transaction(s)"), problems);
  }

  @Test
  void theDatabasesMustMatchWhatTheClientWasTold() {
    List<Placement> told = List.of(new Placement(O1, "c:1:1", Placement.Result.OUT_OF_STOCK, ""),
        new Placement(O2, "c:1:2", Placement.Result.COMMITTED, ""));
    List<String> problems = ConsistencyCheck.check(consistent(), told).problems();
    assertEquals(List.of("order r-2 committed (tx c:1:2) but is not in the orders database",
        "order r-1 aborted (tx c:1:1) but left rows behind: order true, reservation true, payment true")
        .stream().sorted().toList(), problems.stream().sorted().toList());
  }

  @Test
  void anUnknownOutcomeMayGoEitherWay() {
    List<Placement> unknown = List.of(new Placement(O1, "c:1:1", Placement.Result.UNKNOWN, ""),
        new Placement(O2, "c:1:2", Placement.Result.UNKNOWN, ""));
    assertFalse(unknown.get(0).aborted());
    assertTrue(ConsistencyCheck.check(consistent(), unknown).ok());
  }

  @Test
  void aNegativeStockIsNeverConsistent() {
    Snapshot s = consistent();
    Snapshot oversold = new Snapshot(s.orders(), List.of(new Sku("WIDGET", 25, -1, 1)), s.reservations(),
        s.wallets(), s.payments(), SETTLED, 0);
    assertEquals(List.of("sku WIDGET: negative stock -1"),
        ConsistencyCheck.check(oversold, List.of()).problems());
  }
}
