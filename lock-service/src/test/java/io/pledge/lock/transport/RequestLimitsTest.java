package io.pledge.lock.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.lock.cluster.LockFailure;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RequestLimitsTest {

  private final RequestLimits limits = new RequestLimits(Duration.ofSeconds(60), Duration.ofSeconds(30),
      Duration.ofMinutes(10), Duration.ofSeconds(30));

  @Test
  void namesAndOwners() {
    assertEquals("tx-1", RequestLimits.id("owner", "tx-1"));
    assertTrue(message(() -> RequestLimits.id("lock", "")).contains("lock is empty"));
    assertTrue(message(() -> RequestLimits.id("lock", "  ")).contains("lock is empty"));
    assertTrue(message(() -> RequestLimits.id("owner", "x".repeat(257))).contains("longer than 256 bytes"));
    assertTrue(message(() -> RequestLimits.id("owner", "é".repeat(129))).contains("longer than 256 bytes"),
        "bytes, not characters");
    assertTrue(message(() -> RequestLimits.id("lock", "a\u0000b")).contains("control character"));
  }

  @Test
  void leasesWaitsAndTokens() {
    assertEquals(30_000, limits.leaseMs(0), "0 means the default");
    assertEquals(5, limits.leaseMs(5));
    assertTrue(message(() -> limits.leaseMs(-1)).contains("must be positive"));
    assertTrue(message(() -> limits.leaseMs(60_001)).contains("exceeds the maximum lease"));
    assertEquals(Duration.ofSeconds(30), limits.waitFor(0));
    assertTrue(message(() -> limits.waitFor(-1)).contains("must not be negative"));
    assertTrue(message(() -> limits.waitFor(Duration.ofHours(1).toMillis())).contains("exceeds the maximum wait"));
    assertTrue(message(() -> RequestLimits.token(0)).contains("must be positive"));
    assertThrows(IllegalArgumentException.class, () -> new RequestLimits(Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)));
  }

  @Test
  void everyFailureKindHasAStatus() {
    assertEquals(GrpcStatus.NOT_FOUND, Protos.status(LockFailure.Kind.NOT_HELD));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, Protos.status(LockFailure.Kind.TOKEN_MISMATCH));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, Protos.status(LockFailure.Kind.BUSY));
    assertEquals(GrpcStatus.ABORTED, Protos.status(LockFailure.Kind.DEADLOCK));
    assertEquals(GrpcStatus.DEADLINE_EXCEEDED, Protos.status(LockFailure.Kind.TIMEOUT));
    assertEquals(GrpcStatus.UNAVAILABLE, Protos.status(LockFailure.Kind.UNAVAILABLE));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, Protos.status(LockFailure.Kind.INVALID));
    for (LockFailure.Kind k : LockFailure.Kind.values()) {
      assertTrue(Protos.status(k) != GrpcStatus.OK);
    }
  }

  private static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }
}
