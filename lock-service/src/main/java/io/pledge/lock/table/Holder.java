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
 * @param identity the TLS identity that acquired under {@code owner} (docs/security.md); empty when none was known.
 *     Only it, or an operator, may renew or release the grant or acquire again under the owner
 */
public record Holder(String owner, LockMode mode, long token, int count, long expiresAt, String grantId,
    String identity) {

  public Holder(String owner, LockMode mode, long token, int count, long expiresAt, String grantId) {
    this(owner, mode, token, count, expiresAt, grantId, "");
  }

  public Holder {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(grantId, "grantId");
    identity = identity == null ? "" : identity;
    if (count < 1) {
      throw new IllegalArgumentException("hold count must be positive: " + count);
    }
    if (token < 1) {
      throw new IllegalArgumentException("token must be positive: " + token);
    }
  }

  Holder withCount(int newCount) {
    return new Holder(owner, mode, token, newCount, expiresAt, grantId, identity);
  }

  Holder withExpiry(long newExpiresAt) {
    return new Holder(owner, mode, token, count, newExpiresAt, grantId, identity);
  }
}
