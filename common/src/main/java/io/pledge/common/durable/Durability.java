package io.pledge.common.durable;

/** How far a piece of work must have reached before its future completes. */
public enum Durability {
  /** Nothing to make durable: a read, or work whose loss is harmless. Completes once it has run. */
  NONE,
  /**
   * Committed to the database and handed to the operating system: survives {@code kill -9} of the process, not a
   * power loss. For records whose loss recovery tolerates (an END record, a lazily written hint).
   */
  WRITTEN,
  /** Committed and synced to the device: survives {@code kill -9} and a power loss. */
  FORCED
}
