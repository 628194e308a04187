package io.pledge.lock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.RpcException;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.Test;

class FencingTokenCheckerTest {

  @Test
  void acceptsEqualOrHigherRejectsLowerPerLock() {
    FencingTokenChecker c = new FencingTokenChecker();
    assertTrue(c.admit("a", 10));
    assertTrue(c.admit("a", 10), "the current holder again");
    assertTrue(c.admit("a", 11));
    assertFalse(c.admit("a", 10), "a superseded holder");
    assertTrue(c.admit("b", 1), "locks are independent");
    assertEquals(11, c.highest("a"));
    assertThrows(FencingTokenChecker.StaleTokenException.class, () -> c.check("a", 3));
  }

  @Test
  void statusesMapToTypedExceptions() {
    assertTrue(LockException.from(new RpcException(GrpcStatus.ABORTED, "DEADLOCK: cycle")) instanceof
        LockException.Deadlock);
    assertTrue(LockException.from(new RpcException(GrpcStatus.FAILED_PRECONDITION, "LOCK_BUSY: held"))
        instanceof LockException.Busy);
    assertTrue(LockException.from(new RpcException(GrpcStatus.NOT_FOUND, "does not hold")) instanceof
        LockException.NotHeld);
    assertTrue(LockException.from(new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "late")) instanceof
        LockException.Timeout);
    assertTrue(LockException.from(new RpcException(GrpcStatus.UNAVAILABLE, "NO_QUORUM")) instanceof
        LockException.Unavailable);
    LockException other = LockException.from(new RpcException(GrpcStatus.FAILED_PRECONDITION, "token 3 is not"));
    assertEquals(LockException.class, other.getClass());
    assertEquals(GrpcStatus.FAILED_PRECONDITION, other.status());
  }
}
