package io.pledge.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.grpc.common.GrpcStatus;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-object rule of issue 14, exhaustively over who calls, who owns, and the caller's roles. */
class OwnershipTest {

  private static final String RULE = "only the identity that began it, or an operator, may commit it";

  private static Authorization.Decision check(Optional<Principal> caller, String owner) {
    return Ownership.check(caller, Optional.of(owner), "Commit of transaction t", RULE);
  }

  @Test
  void onlyTheOwnerOrAnOperatorMayActOnAnOwnedObject() {
    String alice = "spiffe://pledge/app/alice";
    String bob = "spiffe://pledge/app/bob";
    for (Role role : Role.values()) {
      Set<Role> roles = EnumSet.of(role);
      assertTrue(check(Optional.of(new Principal(alice, roles)), alice).allowed(), "the owner, as " + role);
      assertEquals(role == Role.OPERATOR, check(Optional.of(new Principal(bob, roles)), alice).allowed(),
          "another identity, as " + role);
    }
    assertTrue(check(Optional.of(new Principal(bob, EnumSet.of(Role.CLIENT, Role.OPERATOR))), alice).allowed());
    assertFalse(check(Optional.of(new Principal(bob, Set.of())), alice).allowed(), "no role at all");
  }

  @Test
  void theRefusalNamesTheRuleAndTheCallerButNotTheOwner() {
    Authorization.Decision d = check(Optional.of(new Principal("spiffe://pledge/app/bob", Set.of(Role.CLIENT))),
        "spiffe://pledge/app/alice");
    assertEquals(GrpcStatus.PERMISSION_DENIED, d.status());
    assertTrue(d.message().contains("Commit of transaction t is refused"), d.message());
    assertTrue(d.message().contains(RULE), d.message());
    assertTrue(d.message().contains("spiffe://pledge/app/bob"), d.message());
    assertFalse(d.message().contains("alice"), "the owner is not told to others: " + d.message());
  }

  @Test
  void nothingIsCheckedWithoutAKnownCallerOrARecordedOwner() {
    Principal bob = new Principal("spiffe://pledge/app/bob", Set.of(Role.CLIENT));
    assertTrue(check(Optional.empty(), "spiffe://pledge/app/alice").allowed(), "plaintext: no identities");
    assertTrue(check(Optional.of(bob), "").allowed(), "begun without an identity");
    assertTrue(Ownership.check(Optional.of(bob), Optional.empty(), "x", RULE).allowed());
  }

  @Test
  void aParticipantIdentitySpeaksOnlyForItsOwnId() {
    assertTrue(Ownership.speaksFor("spiffe://pledge/participant/bank-a", "bank-a"));
    assertTrue(Ownership.speaksFor("bank-a.pledge.svc", "bank-a"));
    assertTrue(Ownership.speaksFor("bank-a", "bank-a"));
    assertFalse(Ownership.speaksFor("spiffe://pledge/participant/bank-a", "bank-b"));
    assertFalse(Ownership.speaksFor("spiffe://pledge/participant/bank-a", "a"), "a whole segment, not a suffix");
    assertFalse(Ownership.speaksFor("spiffe://pledge/participant/bank-a", "participant/bank-a/x"));
    assertFalse(Ownership.speaksFor("bank-a.pledge.svc", "bank"));
    assertFalse(Ownership.speaksFor("spiffe://bank-a.evil/x", "bank-a"), "a URI's host is not its id");
    assertFalse(Ownership.speaksFor("spiffe://pledge/participant/bank-a", ""));
  }
}
