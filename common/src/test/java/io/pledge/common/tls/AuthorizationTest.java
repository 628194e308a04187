package io.pledge.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.pledge.api.v1.AdminProto;
import io.pledge.api.v1.CoordinatorProto;
import io.pledge.api.v1.LockProto;
import io.pledge.api.v1.ParticipantProto;
import io.pledge.api.v1.SessionProto;
import io.vertx.grpc.common.GrpcStatus;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The authorization function, exhaustively: every method of every service against every set of roles. */
class AuthorizationTest {

  /** Every rpc Pledge serves, read from the protos themselves: a new one without a rule fails here. */
  static List<String> everyMethod() {
    List<String> methods = new ArrayList<>();
    for (FileDescriptor file : List.of(CoordinatorProto.getDescriptor(), AdminProto.getDescriptor(),
        ParticipantProto.getDescriptor(), LockProto.getDescriptor(), SessionProto.getDescriptor())) {
      for (ServiceDescriptor service : file.getServices()) {
        for (MethodDescriptor m : service.getMethods()) {
          methods.add(service.getFullName() + "/" + m.getName());
        }
      }
    }
    return methods;
  }

  /** The table as issue 14 states it, written out independently of the code's. */
  static final Map<String, Set<Role>> EXPECTED = Map.ofEntries(
      Map.entry("pledge.v1.TransactionCoordinator/Begin", EnumSet.of(Role.CLIENT, Role.OPERATOR)),
      Map.entry("pledge.v1.TransactionCoordinator/ReserveTransactionIds", EnumSet.of(Role.CLIENT, Role.OPERATOR)),
      Map.entry("pledge.v1.TransactionCoordinator/Commit", EnumSet.of(Role.CLIENT, Role.OPERATOR)),
      Map.entry("pledge.v1.TransactionCoordinator/Rollback", EnumSet.of(Role.CLIENT, Role.OPERATOR)),
      Map.entry("pledge.v1.TransactionCoordinator/GetTransaction", EnumSet.of(Role.CLIENT, Role.OPERATOR)),
      Map.entry("pledge.v1.TransactionCoordinator/Enlist", EnumSet.of(Role.PARTICIPANT)),
      Map.entry("pledge.v1.TransactionCoordinator/GetOutcome", EnumSet.of(Role.PARTICIPANT, Role.OPERATOR)),
      Map.entry("pledge.v1.TransactionCoordinator/ListTransactions", EnumSet.of(Role.OPERATOR)),
      Map.entry("pledge.v1.CoordinatorAdmin/Resolve", EnumSet.of(Role.OPERATOR)),
      Map.entry("pledge.v1.CoordinatorAdmin/ClusterStatus", EnumSet.of(Role.OPERATOR)),
      Map.entry("pledge.v1.CoordinatorAdmin/TransferLeader", EnumSet.of(Role.OPERATOR)),
      Map.entry("pledge.v1.Participant/Prepare", EnumSet.of(Role.COORDINATOR)),
      Map.entry("pledge.v1.Participant/Commit", EnumSet.of(Role.COORDINATOR)),
      Map.entry("pledge.v1.Participant/Rollback", EnumSet.of(Role.COORDINATOR)),
      Map.entry("pledge.v1.Participant/Complete", EnumSet.of(Role.COORDINATOR)),
      Map.entry("pledge.v1.Participant/PrepareBranches", EnumSet.of(Role.COORDINATOR)),
      Map.entry("pledge.v1.LockService/Acquire", EnumSet.of(Role.LOCK_USER)),
      Map.entry("pledge.v1.LockService/TryAcquire", EnumSet.of(Role.LOCK_USER)),
      Map.entry("pledge.v1.LockService/AcquireStream", EnumSet.of(Role.LOCK_USER)),
      Map.entry("pledge.v1.LockService/Renew", EnumSet.of(Role.LOCK_USER, Role.OPERATOR)),
      Map.entry("pledge.v1.LockService/Release", EnumSet.of(Role.LOCK_USER, Role.OPERATOR)),
      Map.entry("pledge.v1.LockService/Inspect", EnumSet.of(Role.LOCK_USER, Role.OPERATOR)),
      Map.entry("pledge.v1.LockService/List", EnumSet.of(Role.LOCK_USER, Role.OPERATOR)),
      Map.entry("pledge.v1.LockService/ReleaseAll", EnumSet.of(Role.COORDINATOR, Role.OPERATOR)),
      Map.entry("pledge.v1.CallSession/Open", EnumSet.allOf(Role.class)));

  @Test
  void theTableCoversEveryRpcAndOnlyThem() {
    assertEquals(new TreeSet<>(everyMethod()), new TreeSet<>(Authorization.TABLE.keySet()));
    assertEquals(EXPECTED, Authorization.TABLE);
  }

  /** Every method x every one of the 32 sets of roles (one identity per set): allowed exactly when they meet. */
  @Test
  void everyMethodAgainstEverySetOfRoles() {
    StringBuilder policy = new StringBuilder();
    Role[] roles = Role.values();
    for (int mask = 1; mask < 1 << roles.length; mask++) {
      StringBuilder granted = new StringBuilder();
      for (int r = 0; r < roles.length; r++) {
        if ((mask & 1 << r) != 0) {
          granted.append(granted.isEmpty() ? "" : ", ").append(roles[r].text());
        }
      }
      policy.append("spiffe://pledge/set-").append(mask).append(" = ").append(granted).append('\n');
    }
    Policy p = Policy.parse(policy.toString());
    int cells = 0;
    for (String method : everyMethod()) {
      for (int mask = 0; mask < 1 << roles.length; mask++) {
        EnumSet<Role> has = EnumSet.noneOf(Role.class);
        for (int r = 0; r < roles.length; r++) {
          if ((mask & 1 << r) != 0) {
            has.add(roles[r]);
          }
        }
        String identity = "spiffe://pledge/set-" + mask;
        assertEquals(has, p.roles(identity));
        Authorization.Decision d = Authorization.check(p, Optional.of(identity), method);
        boolean expected = EXPECTED.get(method).stream().anyMatch(has::contains);
        assertEquals(expected, d.allowed(), method + " by " + has);
        if (!expected) {
          assertEquals(GrpcStatus.PERMISSION_DENIED, d.status());
          for (Role needed : EXPECTED.get(method)) {
            assertTrue(d.message().contains(needed.text()), d.message());
          }
          assertTrue(d.message().contains(identity), d.message());
        }
        cells++;
      }
      Authorization.Decision anonymous = Authorization.check(p, Optional.empty(), method);
      assertEquals(GrpcStatus.UNAUTHENTICATED, anonymous.status(), method);
      assertTrue(anonymous.message().contains("client certificate"), anonymous.message());
    }
    assertEquals(EXPECTED.size() * 32, cells);
  }

  @Test
  void aMethodWithoutARuleIsRefusedToEveryone() {
    Policy all = Policy.parse("* = client, participant, coordinator, operator, lock-user");
    Authorization.Decision d = Authorization.check(all, Optional.of("spiffe://pledge/x"),
        "pledge.v1.TransactionCoordinator/Drop");
    assertFalse(d.allowed());
    assertEquals(GrpcStatus.PERMISSION_DENIED, d.status());
  }

  @Test
  void policyPatternsAndErrors() {
    Policy p = Policy.parse("""
        # comment
        spiffe://pledge/app/* = client, lock-user
        spiffe://pledge/app/billing = operator
        *.ops.example = operator
        """);
    assertEquals(EnumSet.of(Role.CLIENT, Role.LOCK_USER, Role.OPERATOR), p.roles("spiffe://pledge/app/billing"));
    assertEquals(EnumSet.of(Role.CLIENT, Role.LOCK_USER), p.roles("spiffe://pledge/app/shop"));
    assertEquals(EnumSet.of(Role.OPERATOR), p.roles("alice.ops.example"));
    assertEquals(EnumSet.noneOf(Role.class), p.roles("spiffe://pledge/apps"));
    assertEquals(EnumSet.noneOf(Role.class), p.roles("spiffe://pledge/app.x"), "'.' is literal, not a regex");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Policy.parse("a = client\nb = admin"))
        .getMessage().contains("line 2"));
    assertThrows(IllegalArgumentException.class, () -> Policy.parse("no roles here"));
    assertThrows(IllegalArgumentException.class, () -> Policy.parse("x = "));
  }

  @Test
  void identityIsTheSanUriElseTheDnsName() throws Exception {
    DevCertificates ca = DevCertificates.authority("ca");
    assertEquals(Optional.of("spiffe://pledge/a"), Identities.of(cert(ca.issue("a", "a.example",
        "uri:spiffe://pledge/a"))));
    assertEquals(Optional.of("a.example"), Identities.of(cert(ca.issue("a", "a.example", "ip:127.0.0.1"))));
    assertEquals(Optional.empty(), Identities.of(cert(ca.issue("a", "ip:127.0.0.1"))));
    assertEquals(Optional.empty(), Identities.of(cert(ca.issue("a"))));
  }

  private static X509Certificate cert(DevCertificates.Issued issued) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(issued.certPem().getBytes(StandardCharsets.US_ASCII)));
  }
}
