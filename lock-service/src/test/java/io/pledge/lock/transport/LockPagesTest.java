package io.pledge.lock.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LockPagesTest {

  @Test
  void pageSizeDefaultsAndBounds() {
    assertEquals(100, LockPages.pageSize(0));
    assertEquals(1, LockPages.pageSize(1));
    assertEquals(1000, LockPages.pageSize(1000));
    String message = assertThrows(IllegalArgumentException.class, () -> LockPages.pageSize(1001)).getMessage();
    assertTrue(message.contains("page_size 1001 is out of range 0..1000"), message);
    assertThrows(IllegalArgumentException.class, () -> LockPages.pageSize(-1));
  }

  @Test
  void tokensRoundTripAndAreOpaque() {
    for (String name : new String[] {"account:1", "ä/ö ü", "a".repeat(256)}) {
      String token = LockPages.token(name);
      assertNotEquals(name, token);
      assertTrue(token.matches("[A-Za-z0-9_-]+"), token);
      assertEquals(name, LockPages.after(token, ""));
    }
    assertEquals("account:7", LockPages.after(LockPages.token("account:7"), "account:"));
    assertEquals("", LockPages.after("", "x"));
  }

  @Test
  void foreignOrDamagedTokensAreRefused() {
    String notBase64 = assertThrows(IllegalArgumentException.class, () -> LockPages.after("!!!", "")).getMessage();
    assertTrue(notBase64.contains("page_token '!!!' is not one this service issued"), notBase64);
    String control = LockPages.token("a\u0001b");
    assertThrows(IllegalArgumentException.class, () -> LockPages.after(control, ""));
    String otherPrefix = assertThrows(IllegalArgumentException.class,
        () -> LockPages.after(LockPages.token("order:1"), "account:")).getMessage();
    assertTrue(otherPrefix.contains("belongs to another listing"), otherPrefix);
  }

  @Test
  void prefixes() {
    assertEquals("", LockPages.prefix(""));
    assertEquals("acc", LockPages.prefix("acc"));
    assertThrows(IllegalArgumentException.class, () -> LockPages.prefix("x".repeat(257)));
    assertThrows(IllegalArgumentException.class, () -> LockPages.prefix("a\nb"));
  }
}
