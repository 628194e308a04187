package io.pledge.examples.orders.orderbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pledge.examples.orders.service.Refusal;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrderBookTest {

  @TempDir
  Path dir;

  @Test
  void anOrderIsRecordedOnceAsPlaced() throws Exception {
    OrderBook book = new OrderBook();
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("orders").toAbsolutePath(), "sa",
        "")) {
      book.create(c);
      OrderBook.record(c, "o-1", "alice", "WIDGET", 2, 50);
      assertEquals(Refusal.DUPLICATE_ORDER,
          assertThrows(Refusal.class, () -> OrderBook.record(c, "o-1", "bob", "GIZMO", 1, 90)).code());
      assertEquals(new JsonObject().put("id", "o-1").put("customer", "alice").put("sku", "WIDGET").put("qty", 2L)
          .put("amount", 50L).put("status", OrderBook.PLACED), book.state(c).getJsonArray("orders").getJsonObject(0));
      assertEquals(1, book.state(c).getJsonArray("orders").size());
    }
  }
}
