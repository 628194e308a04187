package io.pledge.testkit;

import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blocks a test thread (never an event loop) on a Vert.x future. */
public final class Await {

  private Await() {}

  public static <T> T result(Future<T> future) {
    return result(future, 30);
  }

  public static <T> T result(Future<T> future, int seconds) {
    try {
      return future.await(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("no result within " + seconds + " s", e);
    }
  }

  /** The failure of a future expected to fail. */
  public static Throwable failure(Future<?> future) {
    try {
      result(future);
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("expected the future to fail, but it succeeded");
  }
}
