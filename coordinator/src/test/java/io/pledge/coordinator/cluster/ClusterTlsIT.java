package io.pledge.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.tls.DevCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator cluster under mutual TLS speaks Raft over TLS too (issue 14: "cluster peer traffic once the
 * coordinator is replicated"): the members elect a leader and replicate over TLS, and their Raft port serves no
 * plaintext and accepts no certificate without the coordinator role, even one from the same CA.
 */
class ClusterTlsIT {

  static final String POLICY = """
      spiffe://pledge/coordinator = coordinator
      spiffe://pledge/app = client, operator
      """;

  @TempDir
  Path dir;
  DevCertificates ca;
  InProcessCluster cluster;

  @BeforeEach
  void start() throws IOException {
    ca = DevCertificates.authority("cluster-ca");
    Path caFile = ca.writeCa(dir.resolve("ca.crt"));
    ca.issue("coordinator", "uri:spiffe://pledge/coordinator", "localhost", "ip:127.0.0.1").write(dir, "coordinator");
    Path policy = Files.writeString(dir.resolve("policy.properties"), POLICY);
    cluster = new InProcessCluster(dir.resolve("members"), 3, Map.of("tls.cert", dir.resolve("coordinator.crt")
        .toString(), "tls.key", dir.resolve("coordinator.key").toString(), "tls.ca", caFile.toString(),
        "tls.policy", policy.toString()));
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void membersElectAndReplicateOverTlsAndTheRaftPortRefusesEveryoneElse() throws Exception {
    // Serving means elected and recovered: the boot epoch was committed by a majority, over TLS.
    String leader = cluster.awaitLeader(Duration.ofSeconds(60));
    int raftPort = cluster.raftPort(leader);

    assertTrue(accepted(raftPort, "coordinator", "uri:spiffe://pledge/coordinator"),
        "a member's certificate is accepted");
    assertFalse(accepted(raftPort, "app", "uri:spiffe://pledge/app"),
        "a client's certificate from the same CA is refused on the Raft port");
    assertFalse(accepted(raftPort, "stranger", null), "a certificate of another CA is refused");

    // Plaintext HTTP/2 gets no HTTP/2 answer: the port speaks TLS only.
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress("127.0.0.1", raftPort), 5_000);
      plain.setSoTimeout(5_000);
      plain.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      int first = plain.getInputStream().read();
      assertTrue(first == -1 || first == 0x15, "a TLS alert or a close, not HTTP/2 settings: " + first);
    } catch (IOException closed) {
      // reset: refused as well
    }
    assertEquals(leader, cluster.awaitLeader(Duration.ofSeconds(10)), "the cluster is undisturbed");
  }

  /**
   * Whether the member keeps a mutual-TLS connection from {@code identity} open: under TLS 1.3 a client's handshake
   * completes before the server checked the client's certificate, so a refusal shows as an alert on the first read.
   */
  boolean accepted(int port, String name, String identity) throws Exception {
    DevCertificates issuer = identity == null ? DevCertificates.authority("other-ca") : ca;
    issuer.issue(name, identity == null ? "uri:spiffe://pledge/coordinator" : identity, "localhost",
        "ip:127.0.0.1").write(dir, name);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keyManagers(name), trustManagers(), null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters params = socket.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(params);
      socket.setSoTimeout(2_000);
      socket.startHandshake();
      try {
        // An accepted member answers with its HTTP/2 settings (or waits for ours); a refused one with an alert.
        return socket.getInputStream().read() != -1;
      } catch (SocketTimeoutException waiting) {
        return true;
      }
    } catch (javax.net.ssl.SSLException | java.net.SocketException refused) {
      return false;
    }
  }

  javax.net.ssl.KeyManager[] keyManagers(String name) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    java.security.cert.CertificateFactory factory = java.security.cert.CertificateFactory.getInstance("X.509");
    java.security.cert.Certificate cert;
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".crt"))) {
      cert = factory.generateCertificate(in);
    }
    String pem = Files.readString(dir.resolve(name + ".key")).replaceAll("-----[A-Z ]+-----", "")
        .replaceAll("\\s", "");
    java.security.PrivateKey key = java.security.KeyFactory.getInstance("EC")
        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(java.util.Base64.getDecoder().decode(pem)));
    store.setKeyEntry(name, key, new char[0], new java.security.cert.Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, new char[0]);
    return kmf.getKeyManagers();
  }

  javax.net.ssl.TrustManager[] trustManagers() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
      store.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    return tmf.getTrustManagers();
  }
}
