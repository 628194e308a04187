package io.pledge.lock.cluster;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wait (request) ids of one server: a random prefix chosen at start and a counter. Unique across servers and restarts
 * without a random UUID per request, and the prefix is how the store filters change notifications down to the
 * server whose waits they concern. Thread-safe.
 */
final class WaitIds {

  private final String prefix;
  private final AtomicLong counter = new AtomicLong();

  WaitIds(String prefix) {
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("wait id prefix is empty");
    }
    this.prefix = prefix;
  }

  /** 64 random bits: two servers share a prefix with negligible probability. */
  static WaitIds random() {
    return new WaitIds(Long.toUnsignedString(new SecureRandom().nextLong(), 36) + "-");
  }

  String prefix() {
    return prefix;
  }

  String next() {
    return prefix + Long.toString(counter.incrementAndGet(), 36);
  }
}
