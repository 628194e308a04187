package io.pledge.common.tls;

import io.vertx.grpc.common.GrpcStatus;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may call what: a pure function of the policy, the caller's identity and the gRPC method, checked at the gRPC
 * edge before any handler runs (unary calls and call-session frames alike). The table follows issue 14:
 * clients begin and finish transactions, participants enlist and ask outcomes, the coordinator calls participants
 * and releases a finished transaction's locks, operators administer, lock users lock. Per-object ownership (only
 * the beginner commits its transaction, only a lock's owner releases it) is the services' own check on top.
 */
public final class Authorization {

  /** Any authenticated caller (a call session: each of its frames is checked as its method). */
  private static final Set<Role> ANYONE = EnumSet.allOf(Role.class);

  /** Full method name -> the roles any one of which allows the call. */
  public static final Map<String, Set<Role>> TABLE;

  static {
    Map<String, Set<Role>> t = new LinkedHashMap<>();
    String tc = "pledge.v1.TransactionCoordinator/";
    for (String m : new String[] {"Begin", "ReserveTransactionIds", "Commit", "Rollback", "GetTransaction"}) {
      t.put(tc + m, EnumSet.of(Role.CLIENT, Role.OPERATOR));
    }
    t.put(tc + "Enlist", EnumSet.of(Role.PARTICIPANT));
    t.put(tc + "GetOutcome", EnumSet.of(Role.PARTICIPANT, Role.OPERATOR));
    t.put(tc + "ListTransactions", EnumSet.of(Role.OPERATOR));
    t.put("pledge.v1.CoordinatorAdmin/Resolve", EnumSet.of(Role.OPERATOR));
    t.put("pledge.v1.CoordinatorAdmin/ClusterStatus", EnumSet.of(Role.OPERATOR));
    t.put("pledge.v1.CoordinatorAdmin/TransferLeader", EnumSet.of(Role.OPERATOR));
    for (String m : new String[] {"Prepare", "Commit", "Rollback", "Complete", "PrepareBranches"}) {
      t.put("pledge.v1.Participant/" + m, EnumSet.of(Role.COORDINATOR));
    }
    String ls = "pledge.v1.LockService/";
    for (String m : new String[] {"Acquire", "TryAcquire", "AcquireStream"}) {
      t.put(ls + m, EnumSet.of(Role.LOCK_USER));
    }
    for (String m : new String[] {"Renew", "Release", "Inspect", "List"}) {
      t.put(ls + m, EnumSet.of(Role.LOCK_USER, Role.OPERATOR));
    }
    t.put(ls + "ReleaseAll", EnumSet.of(Role.COORDINATOR, Role.OPERATOR));
    t.put("pledge.v1.CallSession/Open", ANYONE);
    TABLE = java.util.Collections.unmodifiableMap(t);
  }

  private Authorization() {}

  /** The answer to one call: allowed, or the status and the message (naming what is missing) to refuse it with. */
  public record Decision(boolean allowed, GrpcStatus status, String message) {
    static final Decision ALLOW = new Decision(true, GrpcStatus.OK, "");
  }

  /**
   * @param identity the caller certificate's identity; empty when the caller showed no certificate (or one without
   *     a SAN URI or DNS name)
   * @param fullMethodName e.g. {@code pledge.v1.TransactionCoordinator/Begin}
   */
  public static Decision check(Policy policy, Optional<String> identity, String fullMethodName) {
    if (identity.isEmpty()) {
      return new Decision(false, GrpcStatus.UNAUTHENTICATED, fullMethodName + " needs a client certificate with"
          + " a SAN URI or DNS name (mutual TLS)");
    }
    Set<Role> needed = TABLE.get(fullMethodName);
    if (needed == null) {
      return new Decision(false, GrpcStatus.PERMISSION_DENIED, fullMethodName + " is not in the authorization"
          + " table: no one may call it");
    }
    Set<Role> has = policy.roles(identity.get());
    for (Role r : needed) {
      if (has.contains(r)) {
        return Decision.ALLOW;
      }
    }
    return new Decision(false, GrpcStatus.PERMISSION_DENIED, fullMethodName + " needs role "
        + needed.stream().map(Role::text).collect(Collectors.joining(" or ")) + "; " + identity.get()
        + (has.isEmpty() ? " has no role in the policy" : " has " + has.stream().map(Role::text)
            .collect(Collectors.joining(", "))));
  }
}
