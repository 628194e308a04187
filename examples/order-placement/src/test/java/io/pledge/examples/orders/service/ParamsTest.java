package io.pledge.examples.orders.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

class ParamsTest {

  private static Params of(String... kv) {
    MultiMap map = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) {
      map.add(kv[i], kv[i + 1]);
    }
    return new Params(map);
  }

  @Test
  void wellFormedValuesAreRead() {
    Params p = of("sku", "WIDGET-2", "qty", " 3 ");
    assertEquals("WIDGET-2", p.id("sku"));
    assertEquals(3, p.positive("qty"));
  }

  @Test
  void eachBadValueIsNamedInTheMessage() {
    assertEquals("parameter 'sku' is missing",
        assertThrows(IllegalArgumentException.class, () -> of().id("sku")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> of("sku", "a b").id("sku")).getMessage()
        .startsWith("parameter 'sku' must be 1..64 letters"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> of("sku", "x".repeat(65)).id("sku")).getMessage()
        .endsWith("...'"));
    assertEquals("parameter 'qty' must be a whole number, got 'two'",
        assertThrows(IllegalArgumentException.class, () -> of("qty", "two").positive("qty")).getMessage());
    assertEquals("parameter 'qty' must be above 0, got 0",
        assertThrows(IllegalArgumentException.class, () -> of("qty", "0").positive("qty")).getMessage());
    assertEquals("parameter 'qty' is missing",
        assertThrows(IllegalArgumentException.class, () -> of().positive("qty")).getMessage());
  }
}
