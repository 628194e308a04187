package io.pledge.examples.orders.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pledge.examples.orders.service.Refusal;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inventory's SQL on a real H2 file; each call runs in a transaction rolled back on failure, as in a branch. */
class InventoryTest {

  @TempDir
  Path dir;

  private String url;
  private final Inventory inventory = new Inventory(Inventory.parseSeed("WIDGET:5:25,LAST:1:90"));

  @BeforeEach
  void create() throws Exception {
    url = "jdbc:h2:file:" + dir.resolve("inventory").toAbsolutePath();
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      inventory.create(c);
    }
  }

  private void inBranch(String order, String sku, long qty) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      c.setAutoCommit(false);
      try {
        Inventory.reserve(c, order, sku, qty);
        c.commit();
      } catch (Exception e) {
        c.rollback();
        throw e;
      }
    }
  }

  private JsonObject state() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      return inventory.state(c);
    }
  }

  private long stock(String sku) throws Exception {
    return state().getJsonArray("skus").stream().map(JsonObject.class::cast)
        .filter(o -> o.getString("sku").equals(sku)).findFirst().orElseThrow().getLong("stock");
  }

  @Test
  void aReservationTakesStockAndIsRecorded() throws Exception {
    inBranch("o-1", "WIDGET", 2);
    assertEquals(3, stock("WIDGET"));
    assertEquals(new JsonObject().put("order", "o-1").put("sku", "WIDGET").put("qty", 2L),
        state().getJsonArray("reservations").getJsonObject(0));
    assertEquals(1, state().getJsonArray("reservations").size());
  }

  @Test
  void aSoldOutSkuIsRefusedAndNothingChanges() throws Exception {
    inBranch("o-1", "LAST", 1);
    Refusal r = assertThrows(Refusal.class, () -> inBranch("o-2", "LAST", 1));
    assertEquals(Refusal.OUT_OF_STOCK, r.code());
    assertEquals(409, r.httpStatus());
    assertEquals("LAST has 0 left, order o-2 wants 1", r.getMessage());
    assertEquals(0, stock("LAST"));
    assertEquals(1, state().getJsonArray("reservations").size());
  }

  @Test
  void anUnknownSkuAndADuplicateOrderAreRefused() throws Exception {
    assertEquals(Refusal.UNKNOWN_SKU, assertThrows(Refusal.class, () -> inBranch("o-1", "NOPE", 1)).code());
    inBranch("o-1", "WIDGET", 1);
    assertEquals(Refusal.DUPLICATE_ORDER, assertThrows(Refusal.class, () -> inBranch("o-1", "WIDGET", 1)).code());
    assertEquals(4, stock("WIDGET"));
  }

  @Test
  void theSeedGoesOnlyIntoAnEmptyDatabase() throws Exception {
    inBranch("o-1", "WIDGET", 1);
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      new Inventory(Inventory.parseSeed("WIDGET:100:1")).create(c);
    }
    assertEquals(4, stock("WIDGET"));
  }

  @Test
  void seedsAreParsedStrictly() {
    assertEquals(List.of(new Inventory.SkuSeed("A", 1, 2), new Inventory.SkuSeed("B", 0, 3)),
        Inventory.parseSeed(" A:1:2, B:0:3 ,"));
    assertThrows(IllegalArgumentException.class, () -> Inventory.parseSeed("A:1"));
    assertThrows(IllegalArgumentException.class, () -> Inventory.parseSeed("A:x:2"));
    assertThrows(IllegalArgumentException.class, () -> Inventory.parseSeed("A:1:0"));
    assertThrows(IllegalArgumentException.class, () -> Inventory.parseSeed("A:1:2,A:3:4"));
    assertThrows(IllegalArgumentException.class, () -> Inventory.parseSeed(""));
  }
}
