package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.support.MemoryResource;
import io.pledge.testkit.JvmProcess;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A participant JVM (XA over an H2 file) is killed with SIGKILL after it voted yes and before the outcome reached
 * it; on restart it resolves both a committed and an aborted branch to the coordinator's decision, also when the
 * coordinator (a JVM of its own, killed with SIGKILL too) is down while it restarts.
 */
class ParticipantCrashIT {

  private static final long INITIAL_TOTAL = 10 * 1000;

  @TempDir
  Path dir;

  private Vertx vertx;
  private int coordinatorPort;
  private JvmProcess coordinator;
  private TransactionClient client;
  private HttpClient http;
  private final MemoryResource other = new MemoryResource();
  private ParticipantNode otherNode;
  private BankProcess bank;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    try (ServerSocket s = new ServerSocket(0)) {
      coordinatorPort = s.getLocalPort();
    }
    startCoordinator();
    client = TransactionClient.create(vertx, new Endpoint("127.0.0.1", coordinatorPort));
    http = vertx.createHttpClient();
    otherNode = ParticipantNode.builder(vertx, ParticipantOptions.defaults(new Endpoint("127.0.0.1", coordinatorPort),
        dir.resolve("other")).withRecoveryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))).resource("other", other).start().await(30, TimeUnit.SECONDS);
    bank = new BankProcess("bank", dir.resolve("bank"), coordinatorPort).start(true);
  }

  private void startCoordinator() {
    coordinator = JvmProcess.start("coordinator", "io.pledge.coordinator.CoordinatorMain", List.of(
        "--grpc.port=" + coordinatorPort, "--http.port=0", "--data.dir=" + dir.resolve("coordinator")), Map.of(), dir);
    coordinator.awaitLine(l -> l.startsWith("PLEDGE-COORDINATOR READY"), Duration.ofSeconds(60));
  }

  @AfterEach
  void stop() throws Exception {
    bank.close();
    client.close();
    otherNode.close().await(10, TimeUnit.SECONDS);
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void restartResolvesToTheCoordinatorsDecision() throws Exception {
    String committed = leaveCommittedBranch();
    String aborted = leaveAbortedBranch();
    // H2's XA prepare is the bank's only record of its two yes votes (issue 16): the participant log forced nothing.
    assertEquals(0, bank.status().getLong("participantLogSyncs"));
    bank.kill();

    bank.start(false);
    Awaitility.await("in-doubt branches resolved").atMost(Duration.ofSeconds(60)).until(() -> resolved(bank.status()));
    assertEquals(INITIAL_TOTAL - 100, bank.status().getLong("total"), committed + " applied, " + aborted + " not");
  }

  @Test
  void restartWhileTheCoordinatorIsDownWaitsThenResolves() throws Exception {
    String committed = leaveCommittedBranch();
    String aborted = leaveAbortedBranch();
    coordinator.kill();
    bank.kill();

    bank.start(false);
    // Prepared and unable to ask: it must hold both branches, neither committing nor aborting on its own.
    Awaitility.await("still in doubt while the coordinator is down").during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10)).until(() -> {
          JsonObject s = bank.status();
          return s.getInteger("inDoubt") == 2 && s.getInteger("xaPrepared") == 2;
        });

    startCoordinator();
    Awaitility.await("in-doubt branches resolved").atMost(Duration.ofSeconds(60)).until(() -> resolved(bank.status()));
    assertEquals(INITIAL_TOTAL - 100, bank.status().getLong("total"), committed + " applied, " + aborted + " not");
    assertTrue(bank.process().lines().stream().anyMatch(l -> l.contains("outcome not known yet")),
        "it kept asking while the coordinator was down");
  }

  private static boolean resolved(JsonObject status) {
    return status.getInteger("inDoubt") == 0 && status.getInteger("xaPrepared") == 0;
  }

  /** Both vote yes, the coordinator commits, the bank stalls in phase 2. */
  private String leaveCommittedBranch() throws Exception {
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    add(tx, 0, -100).compose(v -> otherNode.join("other", tx)).await(10, TimeUnit.SECONDS);
    TxOutcome outcome = client.commit(tx).await(30, TimeUnit.SECONDS);
    assertTrue(outcome.committed(), outcome.toString());
    bank.process().awaitLine(l -> l.equals("STALLED commit " + tx), Duration.ofSeconds(30));
    return tx;
  }

  /** The bank votes yes, then the other participant votes no: abort; the bank stalls in phase 2. */
  private String leaveAbortedBranch() throws Exception {
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    Promise<Void> bankPrepared = Promise.promise();
    other.script(tx, MemoryResource.Script.NO).gate(tx, bankPrepared.future());
    add(tx, 1, -50).compose(v -> otherNode.join("other", tx)).await(10, TimeUnit.SECONDS);
    Future<TxOutcome> commit = client.commit(tx);
    bank.process().awaitLine(l -> l.startsWith("PREPARED " + tx), Duration.ofSeconds(30));
    bankPrepared.complete();
    TxOutcome outcome = commit.await(30, TimeUnit.SECONDS);
    assertFalse(outcome.committed(), outcome.toString());
    bank.process().awaitLine(l -> l.equals("STALLED rollback " + tx), Duration.ofSeconds(30));
    return tx;
  }

  private Future<Void> add(String tx, int account, long amount) {
    RequestOptions options = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(bank.httpPort()).setURI("/add?account=" + account + "&amount=" + amount), tx);
    return http.request(options).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("bank: " + resp.statusCode() + " " + body))));
  }
}
