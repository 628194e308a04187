package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.tls.DevCertificates;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.locks.TransactionLocks;
import io.pledge.participant.support.MemoryResource;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every server and client with mutual TLS (issue 14): a coordinator, two participants and a lock service over real
 * gRPC on loopback, each with its own certificate from one CA; the coordinator's calls out (prepare, commit, the
 * lock service's ReleaseAll) go over mTLS too. Callers without a good certificate are refused, and certificates
 * rotated under load fail no transaction.
 */
class MutualTlsIT {

  private static final Duration RELOAD = Duration.ofMillis(200);

  @TempDir
  Path dir;

  private Vertx vertx;
  private DevCertificates ca;
  private Path caFile;
  private LockServer lockServer;
  private LockClient lockClient;
  private TransactionLocks locks;
  private CoordinatorServer coordinator;
  private Endpoint coord;
  private TransactionClient client;
  private ParticipantNode nodeA;
  private ParticipantNode nodeB;

  /** Issues {@code name}'s certificate into dir/name.crt and .key (again: a rotation) and returns its settings. */
  private Map<String, String> issue(String name) {
    ca.issue(name, "uri:spiffe://pledge/" + name, "localhost", "ip:127.0.0.1").write(dir, name);
    return Map.of("tls.cert", dir.resolve(name + ".crt").toString(), "tls.key", dir.resolve(name + ".key").toString(),
        "tls.ca", caFile.toString(), "tls.reload-interval", "200ms");
  }

  private Optional<TlsOptions> tls(String name) {
    issue(name);
    return Optional.of(TlsOptions.mutual(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), caFile)
        .withReloadInterval(RELOAD));
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    ca = DevCertificates.authority("pledge-test-ca");
    caFile = ca.writeCa(dir.resolve("ca.crt"));
    Map<String, String> lockSettings = new HashMap<>(LockServiceOptions.loopbackMember(5983, "tls-it"));
    lockSettings.putAll(issue("lock-service"));
    lockServer = LockServer.start(Config.of(LockServiceOptions.ALL, lockSettings));
    Endpoint lockEndpoint = new Endpoint("127.0.0.1", lockServer.grpcPort());
    lockClient = LockClient.create(vertx, lockEndpoint, tls("participant-a"));
    locks = new TransactionLocks(lockClient, Duration.ofSeconds(5));
    Map<String, String> coordSettings = new HashMap<>(Map.of("grpc.port", "0", "http.port", "0",
        "data.dir", dir.resolve("coordinator").toString(), "locks.endpoint", lockEndpoint.toString()));
    coordSettings.putAll(issue("coordinator"));
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, coordSettings))
        .await(60, TimeUnit.SECONDS);
    coord = new Endpoint("127.0.0.1", coordinator.grpcPort());
    client = TransactionClient.create(vertx, coord, Duration.ofSeconds(10), tls("client"));
    nodeA = ParticipantNode.builder(vertx, ParticipantOptions.defaults(coord, dir.resolve("a")))
        .resource("a", new MemoryResource()).leases(locks).tls(tls("participant-a")).start()
        .await(30, TimeUnit.SECONDS);
    nodeB = ParticipantNode.builder(vertx, ParticipantOptions.defaults(coord, dir.resolve("b")))
        .resource("b", new MemoryResource()).tls(tls("participant-b")).start().await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    nodeA.close().await(10, TimeUnit.SECONDS);
    nodeB.close().await(10, TimeUnit.SECONDS);
    coordinator.close().await(10, TimeUnit.SECONDS);
    lockClient.close();
    lockServer.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private TxResult<Void> transfer(String lock) throws Exception {
    return client.<Void>inTransaction(tx -> locks.exclusive(tx, lock).compose(h -> nodeA.join("a", tx))
        .compose(v -> nodeB.join("b", tx))).await(30, TimeUnit.SECONDS);
  }

  @Test
  void transactionsCommitWithMutualTlsEverywhere() throws Exception {
    for (int i = 0; i < 5; i++) {
      TxResult<Void> result = transfer("account-" + i);
      assertTrue(result.committed(), result.outcome().toString());
    }
    // The coordinator released the locks over mTLS (owner = tx id, ReleaseAll).
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lockClient.inspect("account-4")
        .await(5, TimeUnit.SECONDS).getHoldersCount() == 0);
    // /health is served over HTTPS with the coordinator's certificate.
    assertEquals("CN=coordinator", serverCertificate(coordinator.httpPort(), HttpVersion.HTTP_1_1));
  }

  @Test
  void callersWithoutAGoodCertificateAreRefusedEverywhere() throws Exception {
    DevCertificates other = DevCertificates.authority("other-ca");
    other.issue("mallory", "uri:spiffe://pledge/client", "ip:127.0.0.1").write(dir, "mallory");
    ca.issue("late", Instant.now().minus(Duration.ofDays(2)), Instant.now().minus(Duration.ofDays(1)),
        "uri:spiffe://pledge/client").write(dir, "late");
    Map<String, Optional<TlsOptions>> callers = Map.of(
        "plaintext", Optional.empty(),
        "no certificate", Optional.of(TlsOptions.trusting(caFile)),
        "another CA's certificate", Optional.of(TlsOptions.mutual(dir.resolve("mallory.crt"),
            dir.resolve("mallory.key"), caFile)),
        "an expired certificate", Optional.of(TlsOptions.mutual(dir.resolve("late.crt"), dir.resolve("late.key"),
            caFile)));
    for (var caller : callers.entrySet()) {
      TransactionClient bad = TransactionClient.create(vertx, coord, Duration.ofSeconds(5), caller.getValue());
      assertThrows(Exception.class, () -> bad.begin().await(10, TimeUnit.SECONDS), caller.getKey());
      bad.close();
      LockClient badLocks = LockClient.create(vertx, new Endpoint("127.0.0.1", lockServer.grpcPort()),
          caller.getValue());
      assertThrows(Exception.class, () -> badLocks.inspect("account-0").await(10, TimeUnit.SECONDS),
          caller.getKey());
      badLocks.close();
    }
    assertTrue(transfer("after-refusals").committed(), "the servers still serve good callers");
  }

  /**
   * Every process's certificate is issued again (new key, new serial, new CN) while transfers run: none fails, and
   * a new connection to each server sees the new certificate.
   */
  @Test
  void rotatingEveryCertificateWhileTransactionsRunFailsNone() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger committed = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    StringBuilder failures = new StringBuilder();
    Thread load = new Thread(() -> {
      int i = 0;
      while (running.get()) {
        try {
          TxResult<Void> r = transfer("rot-" + (i++ % 4));
          if (r.committed()) {
            committed.incrementAndGet();
          } else {
            failed.incrementAndGet();
            failures.append(r.outcome()).append('\n');
          }
        } catch (Exception e) {
          failed.incrementAndGet();
          failures.append(e).append('\n');
        }
      }
    });
    load.start();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> committed.get() >= 10);
    for (String name : new String[] {"coordinator", "lock-service", "participant-a", "participant-b", "client"}) {
      ca.issue(name + "-rotated", "uri:spiffe://pledge/" + name, "localhost", "ip:127.0.0.1").write(dir, name);
    }
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
        serverCertificate(coordinator.grpcPort(), HttpVersion.HTTP_2).equals("CN=coordinator-rotated")
            && serverCertificate(lockServer.grpcPort(), HttpVersion.HTTP_2).equals("CN=lock-service-rotated")
            && serverCertificate(nodeA.port(), HttpVersion.HTTP_2).equals("CN=participant-a-rotated"));
    int atRotation = committed.get();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> committed.get() >= atRotation + 10);
    running.set(false);
    load.join(30_000);
    assertEquals(0, failed.get(), failures.toString());
  }

  /** The CN of the certificate a new TLS connection to {@code port} is shown. */
  private String serverCertificate(int port, HttpVersion version) throws Exception {
    HttpClientOptions options = tls("probe").get().applyTo(new HttpClientOptions());
    HttpClientAgent http = vertx.createHttpClient(version == HttpVersion.HTTP_2 ? GrpcTransport.of(options)
        : options.setProtocolVersion(version));
    try {
      return http.request(HttpMethod.GET, port, "127.0.0.1", "/health").map(req -> {
        try {
          return ((X509Certificate) req.connection().peerCertificates().get(0)).getSubjectX500Principal().getName();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }).await(10, TimeUnit.SECONDS);
    } finally {
      http.close();
    }
  }
}
