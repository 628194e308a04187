package io.pledge.common.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JDK managers Raft's transport uses: the CA, the peer role and rotation, with real certificates. */
class FollowingManagersTest {

  static final Policy POLICY = Policy.parse("""
      spiffe://pledge/coordinator = coordinator
      spiffe://pledge/app = client, operator
      """);

  @TempDir
  Path dir;
  Vertx vertx;
  DevCertificates ca;
  Path caFile;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    ca = DevCertificates.authority("test-ca");
    caFile = ca.writeCa(dir.resolve("ca.crt"));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  TlsOptions files(String name, DevCertificates issuer, String identity) {
    issuer.issue(name, "uri:" + identity, "localhost", "ip:127.0.0.1").write(dir, name);
    return TlsOptions.mutual(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), caFile)
        .withReloadInterval(Duration.ofMillis(100));
  }

  X509Certificate[] chain(String name, DevCertificates issuer, String identity) throws Exception {
    try (FollowingManagers m = FollowingManagers.start(vertx, files(name, issuer, identity), Optional.empty(),
        Role.COORDINATOR)) {
      X509ExtendedKeyManager keys = (X509ExtendedKeyManager) m.keyManager();
      return keys.getCertificateChain(keys.chooseServerAlias("EC", null, (java.net.Socket) null));
    }
  }

  @Test
  void onlyAPeerWithTheCoordinatorRoleFromTheCaIsTrusted() throws Exception {
    try (FollowingManagers member = FollowingManagers.start(vertx,
        files("member", ca, "spiffe://pledge/coordinator"), Optional.of(POLICY), Role.COORDINATOR)) {
      X509ExtendedTrustManager trust = (X509ExtendedTrustManager) member.trustManager();
      X509Certificate[] peer = chain("peer", ca, "spiffe://pledge/coordinator");
      trust.checkClientTrusted(peer, "UNKNOWN");
      trust.checkServerTrusted(peer, "ECDHE_ECDSA");

      X509Certificate[] app = chain("app", ca, "spiffe://pledge/app");
      CertificateException refused = assertThrows(CertificateException.class,
          () -> trust.checkClientTrusted(app, "UNKNOWN"));
      assertEquals("the peer spiffe://pledge/app lacks the role coordinator in the policy", refused.getMessage());
      assertThrows(CertificateException.class, () -> trust.checkServerTrusted(app, "ECDHE_ECDSA"));

      X509Certificate[] stranger = chain("stranger", DevCertificates.authority("other-ca"),
          "spiffe://pledge/coordinator");
      assertThrows(CertificateException.class, () -> trust.checkClientTrusted(stranger, "UNKNOWN"));
    }
  }

  @Test
  void withoutAPolicyAnyCertificateOfTheCaIsAPeer() throws Exception {
    try (FollowingManagers member = FollowingManagers.start(vertx,
        files("member", ca, "spiffe://pledge/coordinator"), Optional.empty(), Role.COORDINATOR)) {
      ((X509ExtendedTrustManager) member.trustManager()).checkClientTrusted(chain("app", ca, "spiffe://pledge/app"),
          "UNKNOWN");
    }
  }

  @Test
  void aRotatedCertificateIsServedWithoutARestart() throws Exception {
    TlsOptions tls = files("member", ca, "spiffe://pledge/coordinator");
    try (FollowingManagers member = FollowingManagers.start(vertx, tls, Optional.of(POLICY), Role.COORDINATOR)) {
      X509ExtendedKeyManager keys = (X509ExtendedKeyManager) member.keyManager();
      java.math.BigInteger before = served(keys).getSerialNumber();
      files("member", ca, "spiffe://pledge/coordinator"); // cert-manager renews the files in place
      await().atMost(Duration.ofSeconds(10)).until(() -> !served(keys).getSerialNumber().equals(before));
    }
  }

  static X509Certificate served(X509ExtendedKeyManager keys) {
    return keys.getCertificateChain(keys.chooseServerAlias("EC", null, (java.net.Socket) null))[0];
  }
}
