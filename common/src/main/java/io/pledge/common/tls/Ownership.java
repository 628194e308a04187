package io.pledge.common.tls;

import io.vertx.grpc.common.GrpcStatus;
import java.util.Optional;

/**
 * Per-object authorization on top of the roles of {@link Authorization} (issue 14): an object (a transaction, a lock
 * owner name) belongs to the identity that created it, and only that identity or an operator may act on it. A pure
 * function of (caller, owner); the services ask it where they find the object, before they change anything.
 *
 * <p>Nothing is checked when the caller is not known ({@code caller} empty: plaintext, or TLS without a policy), as
 * before roles existed; nor when the object has no recorded owner (created by such a caller, or recorded before
 * owners were): there is no identity to hold the caller to.
 */
public final class Ownership {

  private static final Authorization.Decision ALLOW = new Authorization.Decision(true, GrpcStatus.OK, "");

  private Ownership() {}

  /**
   * @param caller who calls; empty when nothing is known of callers
   * @param owner the identity that created the object; empty when none was recorded
   * @param refused what was refused, for the message, e.g. {@code "Commit of transaction T"}
   * @param rule the rule, for the message, e.g. {@code "only the identity that began it, or an operator, may commit
   *     it"}
   */
  public static Authorization.Decision check(Optional<Principal> caller, Optional<String> owner, String refused,
      String rule) {
    if (caller.isEmpty() || owner.isEmpty() || owner.get().isEmpty()) {
      return ALLOW;
    }
    Principal p = caller.get();
    if (p.has(Role.OPERATOR) || p.identity().equals(owner.get())) {
      return ALLOW;
    }
    // The owner is not named: who began someone else's transaction is none of the caller's business.
    return new Authorization.Decision(false, GrpcStatus.PERMISSION_DENIED, refused + " is refused: " + rule + "; "
        + p.identity() + " is neither");
  }

  /**
   * Whether {@code identity} may speak for participant {@code participantId} (Enlist, issue 14): the identity is the
   * id itself, a SAN URI whose last path segment is the id ({@code spiffe://pledge/participant/bank-a} for
   * {@code bank-a}), or a DNS name whose first label is the id ({@code bank-a.pledge.svc}).
   */
  public static boolean speaksFor(String identity, String participantId) {
    if (participantId.isEmpty()) {
      return false;
    }
    return identity.equals(participantId) || identity.endsWith("/" + participantId)
        || !identity.contains("/") && identity.startsWith(participantId + ".");
  }
}
