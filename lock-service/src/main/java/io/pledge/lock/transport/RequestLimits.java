package io.pledge.lock.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Checks requests at the gRPC edge before anything reaches the cluster: a refused request changes nothing.
 *
 * @param maxLease longest lease a request may ask for
 * @param defaultLease lease when a request gives 0
 * @param maxWait longest wait an Acquire may ask for
 * @param defaultWait wait when an Acquire gives 0
 */
public record RequestLimits(Duration maxLease, Duration defaultLease, Duration maxWait, Duration defaultWait) {

  /** Longest lock name or owner, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 256;

  public RequestLimits {
    if (defaultLease.compareTo(maxLease) > 0) {
      throw new IllegalArgumentException("default lease " + defaultLease + " exceeds max lease " + maxLease);
    }
    if (defaultWait.compareTo(maxWait) > 0) {
      throw new IllegalArgumentException("default wait " + defaultWait + " exceeds max wait " + maxWait);
    }
  }

  /** The text is a usable lock name or owner, or an {@link IllegalArgumentException} says why not. */
  public static String id(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
      throw new IllegalArgumentException(what + " is longer than " + MAX_ID_BYTES + " bytes");
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw new IllegalArgumentException(what + " contains a control character");
      }
    }
    return value;
  }

  public long leaseMs(long requested) {
    if (requested == 0) {
      return defaultLease.toMillis();
    }
    if (requested < 0) {
      throw new IllegalArgumentException("lease_ms must be positive, got " + requested);
    }
    if (requested > maxLease.toMillis()) {
      throw new IllegalArgumentException("lease_ms " + requested + " exceeds the maximum lease of "
          + maxLease.toMillis() + " ms");
    }
    return requested;
  }

  public Duration waitFor(long requested) {
    if (requested == 0) {
      return defaultWait;
    }
    if (requested < 0) {
      throw new IllegalArgumentException("wait_timeout_ms must not be negative, got " + requested);
    }
    if (requested > maxWait.toMillis()) {
      throw new IllegalArgumentException("wait_timeout_ms " + requested + " exceeds the maximum wait of "
          + maxWait.toMillis() + " ms");
    }
    return Duration.ofMillis(requested);
  }

  public static long token(long token) {
    if (token < 1) {
      throw new IllegalArgumentException("fencing_token must be positive, got " + token);
    }
    return token;
  }
}
