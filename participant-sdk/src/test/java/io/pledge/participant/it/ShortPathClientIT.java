package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.endpoint.impl.ParticipantEndpointService;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.support.MemoryResource;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK on the short path (issue 16) against the real coordinator: transactions begin from reserved ids, services
 * join without calling Enlist and name themselves in their answers, and Commit carries them. Each service is an
 * HTTP endpoint joining through {@link TxPropagation#join}, as an application's would.
 */
class ShortPathClientIT {

  @TempDir
  Path dir;

  private Vertx vertx;
  private CoordinatorServer coordinator;
  private int coordinatorPort;
  private TransactionClient client;
  private final MemoryResource a = new MemoryResource();
  private final MemoryResource b = new MemoryResource();
  private final SimpleMeterRegistry registryA = new SimpleMeterRegistry();
  private final SimpleMeterRegistry registryB = new SimpleMeterRegistry();
  private ParticipantNode nodeA;
  private ParticipantNode nodeB;
  private HttpServer serviceA;
  private HttpServer serviceB;
  private HttpClient http;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    startCoordinator(0);
    Endpoint coord = new Endpoint("127.0.0.1", coordinatorPort);
    client = TransactionClient.create(vertx, coord);
    nodeA = ParticipantNode.builder(vertx, options(coord, "a")).resource("a", a).registry(registryA).start()
        .await(30, TimeUnit.SECONDS);
    nodeB = ParticipantNode.builder(vertx, options(coord, "b")).resource("b", b).registry(registryB).start()
        .await(30, TimeUnit.SECONDS);
    serviceA = service(nodeA, "a");
    serviceB = service(nodeB, "b");
    http = vertx.createHttpClient();
  }

  private void startCoordinator(int port) throws Exception {
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port",
        Integer.toString(port), "http.port", "0", "data.dir", dir.resolve("coordinator").toString())))
        .await(60, TimeUnit.SECONDS);
    coordinatorPort = coordinator.grpcPort();
  }

  private ParticipantOptions options(Endpoint coord, String name) {
    return ParticipantOptions.defaults(coord, dir.resolve(name))
        .withRecoveryBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
        .withSilenceTimeout(Duration.ofSeconds(1));
  }

  /** A service working for participant {@code id}: joins the transaction its request names, then answers ok. */
  private HttpServer service(ParticipantNode node, String id) throws Exception {
    return vertx.createHttpServer().requestHandler(req -> TxPropagation.join(node, id, req)
        .onSuccess(tx -> req.response().end("ok"))
        .onFailure(e -> req.response().setStatusCode(409).end(e.getMessage())))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  /** The work call through the client: headers from the SDK, the answer's headers back to it unless told not to. */
  private Future<String> work(String tx, HttpServer service, boolean handOver) {
    return client.call(tx, "work " + service.actualPort(), call -> {
      RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
          .setPort(service.actualPort()).setURI("/work");
      call.headers().forEach(request::putHeader);
      return http.request(request).compose(r -> r.send()).compose(resp -> {
        if (handOver) {
          call.answered(resp.headers());
        }
        return resp.body().map(Object::toString);
      });
    });
  }

  private double calls(SimpleMeterRegistry registry, String rpc) {
    var counter = registry.find(ParticipantEndpointService.CALLS).tag("rpc", rpc).counter();
    return counter == null ? 0 : counter.count();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    http.close();
    serviceA.close();
    serviceB.close();
    nodeA.close().await(10, TimeUnit.SECONDS);
    nodeB.close().await(10, TimeUnit.SECONDS);
    coordinator.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  @Test
  void transfersCommitWithNeitherBeginNorEnlist() throws Exception {
    List<String> txs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String tx = await(client.begin());
      await(work(tx, serviceA, true).compose(v -> work(tx, serviceB, true)));
      TxOutcome outcome = await(client.commit(tx));
      assertEquals(TxOutcome.Status.COMMITTED, outcome.status(), outcome.toString());
      txs.add(tx);
    }
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> txs.stream()
        .allMatch(tx -> a.calls.contains("commit " + tx) && b.calls.contains("commit " + tx)));
    assertEquals(0, calls(registryA, "Enlist") + calls(registryB, "Enlist"), "nobody called Enlist");
    // One reservation for all twenty, then one Commit each: no Begin.
    assertEquals(21, client.callsMade());
    // One prepare call each (one after another, so each a batch of one: PrepareBranches, issue 16).
    assertEquals(20, calls(registryA, "Prepare") + calls(registryA, "PrepareBranches"));
  }

  @Test
  void aTransactionWithoutTheAnswersHeadersCannotCommitAndItsBranchEndsAtTheDeadline() throws Exception {
    String tx = await(client.begin(Duration.ofSeconds(2), Map.of()));
    await(work(tx, serviceA, false).compose(v -> work(tx, serviceB, true)));

    TxOutcome outcome = await(client.commit(tx));

    // Committing would apply b's part alone: a joined, but the client never learnt it.
    assertEquals(TxOutcome.Status.ABORTED, outcome.status());
    assertTrue(outcome.detail().contains("answer's headers were not handed"), outcome.detail());
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> a.calls.contains("rollback " + tx)
        && b.calls.contains("rollback " + tx));
    assertFalse(a.calls.contains("prepare " + tx));
  }

  @Test
  void aCoordinatorRestartBetweenBeginAndCommitAbortsAndTheClientMovesToTheNewEpoch() throws Exception {
    String tx = await(client.begin());
    await(work(tx, serviceA, true).compose(v -> work(tx, serviceB, true)));
    int port = coordinatorPort;
    coordinator.close().await(10, TimeUnit.SECONDS);
    startCoordinator(port);

    TxOutcome outcome = await(client.commit(tx));

    assertEquals(TxOutcome.Status.ABORTED, outcome.status());
    assertEquals("ABORT_CAUSE_COORDINATOR_RESTARTED", outcome.cause());
    // The branches hear nothing; their silence makes them ask, and presumed abort rolls them back.
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.calls.contains("rollback " + tx)
        && b.calls.contains("rollback " + tx));
    String next = await(client.begin());
    assertFalse(next.startsWith(tx.substring(0, tx.lastIndexOf(':') + 1)), "a block of the new epoch: " + next);
    await(work(next, serviceA, true).compose(v -> work(next, serviceB, true)));
    assertEquals(TxOutcome.Status.COMMITTED, await(client.commit(next)).status());
  }

  @Test
  void aMalformedEnlistedHeaderMakesTheTransactionRollbackOnly() throws Exception {
    String tx = await(client.begin());
    await(client.call(tx, "forged", call -> {
      call.answered(MultiMap.caseInsensitiveMultiMap().add(TxPropagation.ENLISTED, "no-endpoint"));
      return Future.succeededFuture();
    }));
    TxOutcome outcome = await(client.commit(tx));
    assertEquals(TxOutcome.Status.ABORTED, outcome.status());
    assertTrue(outcome.detail().contains("malformed"), outcome.detail());
  }
}
