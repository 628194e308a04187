package io.pledge.lock.table;

import java.util.Objects;

/**
 * One owner's grant on a lock.
 *
 * @param owner opaque owner id (transaction id or session id)
 * @param mode current mode (an upgrade turns SHARED into EXCLUSIVE)
 * @param token fencing token of the grant (a reentrant acquire keeps it; an upgrade gets a new one)
 * @param count hold count: acquires minus releases
 * @param expiresAt lease end, member wall-clock millis
 * @param grantId id of the request or wait that produced the grant, so that a waiting server can recognise its own
 */
public record Holder(String owner, LockMode mode, long token, int count, long expiresAt, String grantId) {

  public Holder {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(grantId, "grantId");
    if (count < 1) {
      throw new IllegalArgumentException("hold count must be positive: " + count);
    }
    if (token < 1) {
      throw new IllegalArgumentException("token must be positive: " + token);
    }
  }

  Holder withCount(int newCount) {
    return new Holder(owner, mode, token, newCount, expiresAt, grantId);
  }

  Holder withExpiry(long newExpiresAt) {
    return new Holder(owner, mode, token, count, newExpiresAt, grantId);
  }
}
