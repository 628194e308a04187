package io.pledge.examples.orders;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** One order the client will place: {@code qty} units of {@code sku} for {@code customer}, paying {@code amount}. */
record PlannedOrder(String id, String customer, String sku, long qty, long amount) {

  static final int MAX_QTY = 3;

  PlannedOrder {
    if (id.isBlank() || customer.isBlank() || sku.isBlank() || qty < 1 || amount < 1) {
      throw new IllegalArgumentException("an order needs an id, a customer, a sku, qty >= 1 and amount >= 1");
    }
  }

  /**
   * {@code count} orders with ids {@code <runId>-001...}: each for a customer and a sku drawn at random, 1 to
   * {@value #MAX_QTY} units at the sku's price. The same seed gives the same orders.
   *
   * @param prices price of each sku in the catalog
   */
  static List<PlannedOrder> plan(String runId, int count, Map<String, Long> prices, List<String> customers,
      long seed) {
    if (count < 0 || prices.isEmpty() || customers.isEmpty()) {
      throw new IllegalArgumentException("need a count of 0 or more, a sku and a customer");
    }
    // Sorted, so that the draw does not depend on the map's order.
    List<Map.Entry<String, Long>> skus = new ArrayList<>(new TreeMap<>(prices).entrySet());
    List<String> buyers = customers.stream().sorted().toList();
    Random random = new Random(seed);
    int digits = Math.max(3, String.valueOf(count).length());
    List<PlannedOrder> orders = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      Map.Entry<String, Long> sku = skus.get(random.nextInt(skus.size()));
      String customer = buyers.get(random.nextInt(buyers.size()));
      long qty = 1 + random.nextInt(MAX_QTY);
      orders.add(new PlannedOrder(String.format("%s-%0" + digits + "d", runId, i), customer, sku.getKey(), qty,
          qty * sku.getValue()));
    }
    return orders;
  }
}
