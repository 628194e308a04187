package io.pledge.examples.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlannedOrderTest {

  private static final Map<String, Long> PRICES = Map.of("WIDGET", 25L, "GADGET", 40L);

  @Test
  void theSameSeedPlansTheSameOrdersWhateverTheMapOrder() {
    Map<String, Long> reversed = new LinkedHashMap<>();
    reversed.put("WIDGET", 25L);
    reversed.put("GADGET", 40L);
    assertEquals(PlannedOrder.plan("r1", 20, PRICES, List.of("bob", "alice"), 3),
        PlannedOrder.plan("r1", 20, reversed, List.of("alice", "bob"), 3));
  }

  @Test
  void ordersAreNumberedAndPricedFromTheCatalog() {
    List<PlannedOrder> plan = PlannedOrder.plan("r1", 12, PRICES, List.of("alice"), 1);
    assertEquals(12, plan.size());
    assertEquals("r1-001", plan.get(0).id());
    assertEquals("r1-012", plan.get(11).id());
    for (PlannedOrder o : plan) {
      assertTrue(o.qty() >= 1 && o.qty() <= PlannedOrder.MAX_QTY, o.toString());
      assertEquals(o.qty() * PRICES.get(o.sku()), o.amount(), o.toString());
      assertEquals("alice", o.customer());
    }
  }

  @Test
  void idsKeepTheirWidthForLargeRuns() {
    assertEquals("r1-0001", PlannedOrder.plan("r1", 1000, PRICES, List.of("alice"), 1).get(0).id());
  }

  @Test
  void anEmptyCatalogOrNoCustomerIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> PlannedOrder.plan("r1", 1, Map.of(), List.of("alice"), 1));
    assertThrows(IllegalArgumentException.class, () -> PlannedOrder.plan("r1", 1, PRICES, List.of(), 1));
    assertThrows(IllegalArgumentException.class, () -> new PlannedOrder("x", "alice", "WIDGET", 0, 25));
  }
}
