package io.pledge.coordinator.metrics;

/**
 * At most {@code perWindow} log lines per window of {@code windowNanos}, the rest counted: a coordinator-wide bound
 * on a kind of warning that callers can provoke at will (phase-2 retries to unreachable participants), shared by the
 * managers of every event loop. Thread-safe; taken only on the warning path, never per transaction.
 */
public final class WarningBudget {

  /** Whether to log this line; {@code suppressed} lines of the window just closed went unlogged (0: none). */
  public record Grant(boolean allowed, int suppressed, long windowNanos) {}

  private final int perWindow;
  private final long windowNanos;
  /** When the current window began: at the first line after the previous one closed, not at construction. */
  private long windowStart;
  private int used;
  private int suppressed;

  public WarningBudget(int perWindow, long windowNanos) {
    this.perWindow = perWindow;
    this.windowNanos = windowNanos;
    this.windowStart = System.nanoTime() - windowNanos;
  }

  public synchronized Grant take() {
    long now = System.nanoTime();
    int closedSuppressed = 0;
    if (now - windowStart >= windowNanos) {
      closedSuppressed = suppressed;
      windowStart = now;
      used = 0;
      suppressed = 0;
    }
    if (used < perWindow) {
      used++;
      return new Grant(true, closedSuppressed, windowNanos);
    }
    suppressed++;
    return new Grant(false, closedSuppressed, windowNanos);
  }
}
