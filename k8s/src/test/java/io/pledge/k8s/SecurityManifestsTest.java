package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.Issuer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pledge.common.tls.Authorization;
import io.pledge.common.tls.Policy;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 in the manifests: the cert-manager chain (self-signed issuer, the namespace's CA, one certificate per
 * component), and each component's certificate identity against the policy file: every call a component makes is
 * allowed by the roles the policy gives its identity, and the calls that would let it pose as another are not.
 */
class SecurityManifestsTest {

  private static final String TC = "pledge.v1.TransactionCoordinator/";
  private static final String LOCKS = "pledge.v1.LockService/";
  private static final String PARTICIPANT = "pledge.v1.Participant/";
  private static final String ADMIN = "pledge.v1.CoordinatorAdmin/";

  /**
   * The calls each image makes to other Pledge servers, as its code does them: the coordinator drives participants
   * and releases a finished transaction's locks; a bank enlists, asks outcomes in recovery and takes its own locks
   * (TransactionLocks, call sessions); the lock service calls nobody.
   */
  private static final Map<String, List<String>> CALLS = Map.of(
      "pledge/coordinator", List.of(PARTICIPANT + "Prepare", PARTICIPANT + "Commit", PARTICIPANT + "Rollback",
          PARTICIPANT + "Complete", PARTICIPANT + "PrepareBranches", LOCKS + "ReleaseAll"),
      "pledge/examples/bank-transfer", List.of(TC + "Enlist", TC + "GetOutcome", LOCKS + "Acquire",
          LOCKS + "TryAcquire", LOCKS + "AcquireStream", LOCKS + "Renew", LOCKS + "Release", "pledge.v1.CallSession/Open"),
      "pledge/lock-service", List.of());

  /** Calls that would let a component act as another: each image must be refused these. */
  private static final Map<String, List<String>> MUST_NOT = Map.of(
      "pledge/coordinator", List.of(TC + "Enlist", TC + "Begin", ADMIN + "Resolve", LOCKS + "Acquire"),
      "pledge/examples/bank-transfer", List.of(PARTICIPANT + "Prepare", PARTICIPANT + "Commit", LOCKS + "ReleaseAll",
          TC + "ListTransactions", ADMIN + "Resolve", ADMIN + "TransferLeader"),
      "pledge/lock-service", List.of(TC + "Begin", TC + "Enlist", PARTICIPANT + "Commit", LOCKS + "ReleaseAll",
          ADMIN + "Resolve"));

  private static List<Manifests.Doc> docs;
  private static Policy policy;

  @BeforeAll
  static void load() {
    docs = Manifests.load();
    ConfigMap map = all(ConfigMap.class).stream().filter(m -> m.getMetadata().getName().equals("pledge-policy"))
        .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap pledge-policy"));
    assertEquals(Set.of("policy.properties"), map.getData().keySet(), "pledge-policy holds the policy file only");
    policy = Policy.parse(map.getData().get("policy.properties"));
  }

  private static <T> List<T> all(Class<T> kind) {
    return docs.stream().map(Manifests.Doc::resource).filter(kind::isInstance).map(kind::cast).toList();
  }

  /** A certificate's identity as the servers take it: the first SAN URI, else the first DNS name. */
  private static String identity(Certificate c) {
    List<String> uris = c.getSpec().getUris();
    return uris != null && !uris.isEmpty() ? uris.get(0) : c.getSpec().getDnsNames().get(0);
  }

  private static Map<String, PodTemplateSpec> podTemplates() {
    Map<String, PodTemplateSpec> t = new LinkedHashMap<>();
    all(StatefulSet.class).forEach(s -> t.put("StatefulSet " + s.getMetadata().getName(), s.getSpec().getTemplate()));
    all(Deployment.class).forEach(d -> t.put("Deployment " + d.getMetadata().getName(), d.getSpec().getTemplate()));
    return t;
  }

  /** The certificate whose Secret a workload mounts. */
  private static Certificate mountedCertificate(String workload, PodTemplateSpec template) {
    List<Certificate> mounted = template.getSpec().getVolumes().stream().map(Volume::getSecret)
        .filter(s -> s != null).flatMap(s -> all(Certificate.class).stream()
            .filter(c -> c.getSpec().getSecretName().equals(s.getSecretName()))).toList();
    assertEquals(1, mounted.size(), workload + ": mounts the Secret of exactly one Certificate");
    return mounted.get(0);
  }

  private static String image(Container c) {
    return c.getImage().replaceFirst(":[^:/]+$", "");
  }

  @Test
  void theCertificatesChainToOneNamespaceCa() {
    List<Issuer> selfSigned = all(Issuer.class).stream().filter(i -> i.getSpec().getSelfSigned() != null).toList();
    assertEquals(1, selfSigned.size(), "one self-signed Issuer");
    List<Certificate> cas = all(Certificate.class).stream().filter(c -> Boolean.TRUE.equals(c.getSpec().getIsCA())).toList();
    assertEquals(1, cas.size(), "one CA Certificate");
    Certificate ca = cas.get(0);
    assertEquals(selfSigned.get(0).getMetadata().getName(), ca.getSpec().getIssuerRef().getName(),
        "the CA is signed by the self-signed Issuer");
    List<Issuer> caIssuers = all(Issuer.class).stream().filter(i -> i.getSpec().getCa() != null).toList();
    assertEquals(1, caIssuers.size(), "one CA Issuer");
    assertEquals(ca.getSpec().getSecretName(), caIssuers.get(0).getSpec().getCa().getSecretName(),
        "the CA Issuer signs with the CA Certificate's Secret");

    Set<String> secrets = new HashSet<>();
    Set<String> identities = new HashSet<>();
    for (Certificate c : all(Certificate.class)) {
      String name = "Certificate " + c.getMetadata().getName();
      assertTrue(secrets.add(c.getSpec().getSecretName()), name + ": its Secret is another's");
      String issuerKind = Optional.ofNullable(c.getSpec().getIssuerRef().getKind()).orElse("Issuer");
      assertEquals("Issuer", issuerKind, name + ": issued in the namespace (kind Issuer)");
      assertTrue(all(Issuer.class).stream().anyMatch(i -> i.getMetadata().getName().equals(c.getSpec().getIssuerRef().getName())),
          name + ": no Issuer " + c.getSpec().getIssuerRef().getName());
      if (c == ca) {
        continue;
      }
      assertEquals(caIssuers.get(0).getMetadata().getName(), c.getSpec().getIssuerRef().getName(),
          name + ": issued by the CA Issuer");
      assertTrue(identities.add(identity(c)), name + ": identity " + identity(c) + " is another's too");
      assertTrue(identity(c).startsWith("spiffe://pledge/"), name + ": identity " + identity(c));
      assertTrue(c.getSpec().getUsages().contains("client auth"), name + ": every component is a client (mTLS)");
      // The servers read "BEGIN PRIVATE KEY" for every algorithm; cert-manager's default for ECDSA is SEC1.
      assertEquals("PKCS8", c.getSpec().getPrivateKey().getEncoding(), name + ": private key encoding");
      assertEquals("Always", c.getSpec().getPrivateKey().getRotationPolicy(), name + ": a renewal changes the key");
      java.time.Duration lifetime = c.getSpec().getDuration().getDuration();
      java.time.Duration renewBefore = c.getSpec().getRenewBefore().getDuration();
      assertTrue(renewBefore.compareTo(lifetime) < 0 && renewBefore.compareTo(java.time.Duration.ofHours(24)) >= 0,
          name + ": renew at least a day before expiry (open HTTP/2 connections keep the old certificate)");
    }
  }

  /** Every server presents a server-auth certificate of its own, and the identity in it is granted what it calls. */
  @Test
  void eachComponentsIdentityIsGrantedWhatItCallsAndNothingThatLetsItPoseAsAnother() {
    Set<String> images = new HashSet<>();
    for (Map.Entry<String, PodTemplateSpec> w : podTemplates().entrySet()) {
      Certificate cert = mountedCertificate(w.getKey(), w.getValue());
      assertTrue(cert.getSpec().getUsages().contains("server auth"), w.getKey() + ": its certificate serves too");
      String identity = identity(cert);
      for (Container c : w.getValue().getSpec().getContainers()) {
        String image = image(c);
        images.add(image);
        assertTrue(CALLS.containsKey(image), w.getKey() + ": no calls known for image " + image);
        for (String method : CALLS.get(image)) {
          assertNotNull(Authorization.TABLE.get(method), method + " is no rpc of the authorization table");
          Authorization.Decision d = Authorization.check(policy, Optional.of(identity), method);
          assertTrue(d.allowed(), w.getKey() + " (" + identity + ") calls " + method + ": " + d.message());
        }
        for (String method : MUST_NOT.get(image)) {
          assertFalse(Authorization.check(policy, Optional.of(identity), method).allowed(),
              w.getKey() + " (" + identity + ") must not be allowed " + method + "; it has " + policy.roles(identity));
        }
        if (CALLS.get(image).isEmpty()) {
          assertEquals(Set.of(), policy.roles(identity), w.getKey() + " calls nothing: its identity needs no role");
        }
      }
    }
    assertEquals(CALLS.keySet(), images, "every image runs somewhere");
  }

  /**
   * Pod hardening (issue 14): the runtime's default seccomp filter, no root, no privilege escalation, no capability,
   * a read-only root filesystem with writable volumes only where the process writes (its data volume and /tmp), no
   * host namespaces or paths, and no API token in pods that do not use the API.
   */
  @Test
  void everyContainerIsHardened() {
    for (Map.Entry<String, PodTemplateSpec> w : podTemplates().entrySet()) {
      String name = w.getKey();
      var pod = w.getValue().getSpec();
      var podSecurity = Optional.ofNullable(pod.getSecurityContext());
      assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID())
          || Boolean.TRUE.equals(pod.getHostIPC()), name + ": shares a host namespace");
      if (pod.getServiceAccountName() == null) {
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(),
            name + ": uses no ServiceAccount, so it needs no API token in the pod");
      }
      Map<String, Volume> volumes = new LinkedHashMap<>();
      pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
      volumes.values().forEach(v -> assertNull(v.getHostPath(), name + ": hostPath volume " + v.getName()));
      Set<String> claims = new HashSet<>();
      all(StatefulSet.class).stream().filter(s -> name.equals("StatefulSet " + s.getMetadata().getName()))
          .flatMap(s -> s.getSpec().getVolumeClaimTemplates().stream()).forEach(c -> claims.add(c.getMetadata().getName()));
      for (Container c : pod.getContainers()) {
        String where = name + " container " + c.getName();
        var sc = c.getSecurityContext();
        assertNotNull(sc, where + ": no securityContext");
        String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType()
            : podSecurity.map(p -> p.getSeccompProfile()).map(p -> p.getType()).orElse(null);
        assertEquals("RuntimeDefault", seccomp, where + ": seccompProfile");
        Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot()
            : podSecurity.map(p -> p.getRunAsNonRoot()).orElse(null);
        assertEquals(Boolean.TRUE, nonRoot, where + ": runAsNonRoot");
        Long uid = sc.getRunAsUser() != null ? sc.getRunAsUser() : podSecurity.map(p -> p.getRunAsUser()).orElse(null);
        assertTrue(uid != null && uid != 0, where + ": runs as a fixed non-root uid (the images' 10001)");
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), where + ": allowPrivilegeEscalation");
        assertFalse(Boolean.TRUE.equals(sc.getPrivileged()), where + ": privileged");
        assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), where + ": readOnlyRootFilesystem");
        assertNotNull(sc.getCapabilities(), where + ": capabilities");
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), where + ": drop ALL capabilities");
        assertTrue(sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty(),
            where + ": adds capabilities");
        // Writable: the data volume and an emptyDir at /tmp; everything else is mounted read-only.
        boolean tmp = false;
        for (var m : c.getVolumeMounts()) {
          Volume v = volumes.get(m.getName());
          boolean writableKind = claims.contains(m.getName()) || (v != null
              && (v.getPersistentVolumeClaim() != null || v.getEmptyDir() != null));
          if (!Boolean.TRUE.equals(m.getReadOnly())) {
            assertTrue(writableKind, where + ": " + m.getMountPath() + " is writable but is no data volume or emptyDir");
          }
          if ((v == null || v.getSecret() != null || v.getConfigMap() != null)) {
            assertTrue(v == null || Boolean.TRUE.equals(m.getReadOnly()), where + ": " + m.getMountPath() + " read-only");
          }
          tmp |= m.getMountPath().equals("/tmp") && v != null && v.getEmptyDir() != null
              && !Boolean.TRUE.equals(m.getReadOnly());
        }
        assertTrue(tmp, where + ": a read-only root needs a writable emptyDir at /tmp (JVM, Netty, Vert.x)");
      }
    }
  }

  /** The operator's certificate (no pod mounts it) gives pledge-admin what it needs, and is only a client. */
  @Test
  void theOperatorCertificateCanAdministerAndServesNothing() {
    List<Certificate> operators = all(Certificate.class).stream()
        .filter(c -> !Boolean.TRUE.equals(c.getSpec().getIsCA()))
        .filter(c -> podTemplates().values().stream().noneMatch(t -> t.getSpec().getVolumes().stream()
            .anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals(c.getSpec().getSecretName()))))
        .toList();
    assertEquals(1, operators.size(), "one certificate mounted by no pod, the operator's: " + operators);
    Certificate op = operators.get(0);
    assertFalse(op.getSpec().getUsages().contains("server auth"), "the operator's certificate serves nothing");
    for (String method : List.of(TC + "ListTransactions", ADMIN + "Resolve", ADMIN + "ClusterStatus",
        ADMIN + "TransferLeader", LOCKS + "Inspect")) {
      Authorization.Decision d = Authorization.check(policy, Optional.of(identity(op)), method);
      assertTrue(d.allowed(), identity(op) + " calls " + method + ": " + d.message());
    }
  }
}
