package io.pledge.common.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesUpToTheCap() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000));
    assertEquals(100, b.delay(0).toMillis());
    assertEquals(200, b.delay(1).toMillis());
    assertEquals(800, b.delay(3).toMillis());
    assertEquals(1000, b.delay(4).toMillis());
    assertEquals(1000, b.delay(Integer.MAX_VALUE).toMillis());
  }

  @Test
  void jitterSpreadsEachWaitOverItsUpperHalf() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000));
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    java.util.Set<Long> seen = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      long ms = b.jittered(2, random).toMillis();
      org.junit.jupiter.api.Assertions.assertTrue(ms >= 200 && ms <= 400, "within [delay/2, delay]: " + ms);
      seen.add(ms);
    }
    org.junit.jupiter.api.Assertions.assertTrue(seen.size() > 50, "spread, not lockstep: " + seen.size());
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }
}
