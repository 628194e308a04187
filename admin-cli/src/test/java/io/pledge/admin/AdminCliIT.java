package io.pledge.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.AbortCause;
import io.pledge.api.v1.AcquireLockRequest;
import io.pledge.api.v1.AcquireLockResponse;
import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.ListLocksRequest;
import io.pledge.api.v1.ListLocksResponse;
import io.pledge.api.v1.LockMode;
import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.LockSummary;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ParticipantInfo;
import io.pledge.api.v1.ReleaseAllLocksRequest;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.pledge.testkit.TestParticipant.BranchState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pledge-admin run in this JVM (captured stdout and stderr, a supplied stdin) against a real coordinator, scripted
 * participants on real gRPC, and a real lock-service member.
 */
class AdminCliIT {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static CoordinatorServer coordinator;
  static CoordinatorTestClient client;
  static TestParticipant ok;
  static TestParticipant gone;
  static TestParticipant slow;
  static LockServer locks;
  static GrpcClient grpc;

  static Config coordinatorConfig() {
    // A long prepare timeout: a transaction hanging in prepare stays PREPARING until the operator acts.
    return Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0", "http.port", "0", "data.dir", dir.toString(),
        "tx.prepare-timeout", "2m", "participant.retry-cap", "200ms"));
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = Await.result(CoordinatorServer.start(vertx, coordinatorConfig()));
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    ok = TestParticipant.start(vertx, "bank-ok");
    gone = TestParticipant.start(vertx, "bank-gone").failPhaseTwo(Integer.MAX_VALUE);
    slow = TestParticipant.start(vertx, "bank-slow").stallPrepareWhen(tx -> true);
    int port = freeHazelcastPort();
    locks = LockServer.start(Config.of(LockServiceOptions.ALL,
        LockServiceOptions.loopbackMember(port, "pledge-admin-it-" + port)));
    grpc = GrpcClient.client(vertx, GrpcTransport.of(new HttpClientOptions()));
  }

  /** This module's Hazelcast ports are 6200-6249 (other modules' ITs use other ranges). */
  static int freeHazelcastPort() throws IOException {
    for (int port = 6200; port < 6250; port++) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException busy) {
        // try the next one
      }
    }
    throw new IOException("no free port in 6200-6249");
  }

  @AfterAll
  static void stop() {
    client.close();
    Await.result(grpc.close());
    ok.close();
    gone.close();
    slow.close();
    Await.result(coordinator.close());
    locks.close();
    Await.result(vertx.close());
  }

  static Cli.Run admin(String... args) {
    return admin(new Cli(), args);
  }

  static Cli.Run admin(Cli cli, String... args) {
    List<String> all = new ArrayList<>(List.of("--coordinator", "127.0.0.1:" + coordinator.grpcPort(),
        "--locks", "127.0.0.1:" + locks.grpcPort()));
    all.addAll(List.of(args));
    return cli.run(all.toArray(String[]::new));
  }

  static void assertOk(Cli.Run run, String... parts) {
    assertEquals(0, run.code(), run::toString);
    for (String part : parts) {
      assertTrue(run.out().contains(part), () -> "stdout should contain '" + part + "'\n" + run);
    }
  }

  static void assertRefused(Cli.Run run, String... parts) {
    assertEquals(1, run.code(), run::toString);
    for (String part : parts) {
      assertTrue(run.err().contains(part), () -> "stderr should contain '" + part + "'\n" + run);
    }
  }

  static TransactionState state(String tx) {
    return client.get(tx).getState();
  }

  @Test
  void aCommitStuckInPhaseTwoIsShownRefusedTheWrongWayResolvedAndStaysResolvedAfterARestart() {
    String tx = client.begin();
    client.enlist(tx, ok);
    client.enlist(tx, gone);
    assertEquals(Outcome.OUTCOME_COMMITTED, client.commit(tx).getOutcome());
    await().until(() -> ok.state(tx) == BranchState.COMMITTED && gone.commitCalls() >= 2);

    assertOk(admin("tx", "list"), tx, "COMMITTING", "2 (1 unacknowledged)");
    assertOk(admin("--json", "tx", "list", "--state", "committing"), "\"txId\": \"" + tx + "\"");
    assertOk(admin("tx", "show", tx), "state        COMMITTING", "bank-gone", "not acknowledged",
        "--commit ends it now and forgets bank-gone");

    assertRefused(admin("tx", "resolve", tx, "--rollback", "--yes"),
        "pledge-admin: FAILED_PRECONDITION: cannot roll back transaction " + tx,
        "decided COMMIT, logged; a decision cannot be reversed");
    assertRefused(admin(new Cli().stdin("coord-0:1:999\n", true), "tx", "resolve", tx, "--commit"),
        "confirmation did not match " + tx + "; nothing was changed");
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTING, state(tx), "refusals change nothing");

    Cli.Run resolved = admin(new Cli().stdin(tx + "\n", true), "tx", "resolve", tx, "--commit", "--reason",
        "bank-gone decommissioned");
    assertOk(resolved, "Type the transaction id to commit " + tx + " by hand:",
        "Resolved: " + tx + " is COMMITTED. Forgotten: bank-gone", "FORGOTTEN by an operator");
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, state(tx));

    Await.result(coordinator.close());
    coordinator = Await.result(CoordinatorServer.start(vertx, coordinatorConfig()));
    client.port(coordinator.grpcPort());
    assertOk(admin("tx", "show", tx), "state        COMMITTED", "FORGOTTEN by an operator");
    ParticipantInfo forgotten = client.get(tx).getParticipantsList().stream()
        .filter(p -> p.getParticipantId().equals("bank-gone")).findFirst().orElseThrow();
    assertTrue(forgotten.getForgotten() && forgotten.getFinished(), forgotten.toString());
    assertRefused(admin("tx", "resolve", tx, "--commit", "--yes"), "is already COMMITTED (finished)");
  }

  @Test
  void anActiveTransactionIsRolledBackByHandButNeverCommitted() {
    String tx = client.begin();
    client.enlist(tx, ok);
    assertRefused(admin("tx", "resolve", tx, "--commit", "--yes"),
        "FAILED_PRECONDITION: cannot commit transaction " + tx + " by hand: it is ACTIVE and undecided",
        "only rollback is possible");
    Cli.Run run = admin("--json", "tx", "resolve", tx, "--rollback", "--yes", "--reason", "client crashed");
    assertOk(run, "\"cause\": \"ABORT_CAUSE_OPERATOR\"", "rolled back by an operator: client crashed");
    assertTrue(run.err().contains("state        ACTIVE"), "with --json the transaction is shown on stderr\n" + run);
    await().until(() -> ok.state(tx) == BranchState.ROLLED_BACK);
    await().until(() -> state(tx) == TransactionState.TRANSACTION_STATE_ROLLED_BACK);
  }

  @Test
  void aTransactionHangingInPrepareIsRolledBackByHand() {
    String tx = client.begin();
    client.enlist(tx, ok);
    client.enlist(tx, slow);
    Future<CommitResponse> commit = client.commitAsync(tx);
    await().until(() -> ok.state(tx) == BranchState.PREPARED && slow.prepareCalls() > 0);
    assertEquals(TransactionState.TRANSACTION_STATE_PREPARING, state(tx));

    assertRefused(admin("tx", "resolve", tx, "--commit", "--yes"),
        "no commit record exists and not every participant voted yes (no vote from bank-slow)");
    assertOk(admin("tx", "resolve", tx, "--rollback", "--yes"), "Resolved: " + tx + " is ROLLING_BACK",
        "OPERATOR: rolled back by an operator");
    CommitResponse answer = Await.result(commit);
    assertEquals(Outcome.OUTCOME_ABORTED, answer.getOutcome());
    assertEquals(AbortCause.ABORT_CAUSE_OPERATOR, answer.getAbortReason().getCause());
    await().until(() -> ok.state(tx) == BranchState.ROLLED_BACK);
  }

  // ---- locks ----

  static SocketAddress lockService() {
    return SocketAddress.inetSocketAddress(locks.grpcPort(), "127.0.0.1");
  }

  static Future<AcquireLockResponse> acquire(String lock, String owner, LockMode mode, boolean wait) {
    return Rpc.call(grpc, lockService(), wait ? LockServiceGrpcClient.Acquire : LockServiceGrpcClient.TryAcquire,
        AcquireLockRequest.newBuilder().setLock(lock).setOwner(owner).setMode(mode).setLeaseMs(30_000)
            .setWaitTimeoutMs(30_000).build(), Duration.ofSeconds(40));
  }

  static ListLocksResponse list(ListLocksRequest request) {
    return Await.result(Rpc.call(grpc, lockService(), LockServiceGrpcClient.List, request, Duration.ofSeconds(10)));
  }

  @Test
  void locksAreListedAndShownWithHoldersAndWaiters() {
    long token = Await.result(acquire("account:1", "coord-0:9:1", LockMode.LOCK_MODE_EXCLUSIVE, false))
        .getFencingToken();
    Future<AcquireLockResponse> waiting = acquire("account:1", "coord-0:9:2", LockMode.LOCK_MODE_EXCLUSIVE, true);
    Await.result(acquire("account:2", "coord-0:9:3", LockMode.LOCK_MODE_SHARED, false));
    Await.result(acquire("account:2", "coord-0:9:4", LockMode.LOCK_MODE_SHARED, false));
    Await.result(acquire("order:9", "coord-0:9:5", LockMode.LOCK_MODE_EXCLUSIVE, false));
    await().until(() -> Await.result(Rpc.call(grpc, lockService(), LockServiceGrpcClient.Inspect,
        InspectLockRequest.newBuilder().setLock("account:1").build(), Duration.ofSeconds(10))).getWaitersCount() == 1);
    try {
      Cli.Run all = admin("locks", "list");
      assertOk(all, "account:2  SHARED", "coord-0:9:3 (token", "coord-0:9:4 (token", "order:9");
      assertLine(all, "account:1\\s+EXCLUSIVE\\s+coord-0:9:1 \\(token " + token + "\\)\\s+1\\s+in \\d+s");
      assertTrue(all.out().indexOf("account:1") < all.out().indexOf("account:2")
          && all.out().indexOf("account:2") < all.out().indexOf("order:9"), "name order\n" + all);
      Cli.Run firstOnly = admin("locks", "list", "--prefix", "account:", "--limit", "1");
      assertOk(firstOnly, "account:1");
      assertTrue(!firstOnly.out().contains("account:2") && !firstOnly.out().contains("order:9"), firstOnly::toString);
      Cli.Run json = admin("--json", "locks", "list", "--prefix", "account:");
      assertOk(json, "\"lock\": \"account:1\"", "\"lock\": \"account:2\"", "\"waiters\": 1");
      assertTrue(!json.out().contains("order:9"), json::toString);
      Cli.Run show = admin("locks", "show", "account:1");
      assertOk(show, "last fencing token  " + token, "WAITER", "coord-0:9:2  EXCLUSIVE");
      assertLine(show, "coord-0:9:1\\s+EXCLUSIVE\\s+" + token + "\\s+1\\s+expires in \\d+s");
      assertOk(admin("locks", "show", "nothing:here"), "free                no holders, no waiters");

      // Paging one by one visits every lock once, in name order.
      List<String> names = new ArrayList<>();
      String pageToken = "";
      do {
        ListLocksResponse page = list(ListLocksRequest.newBuilder().setPageSize(1).setPageToken(pageToken).build());
        page.getLocksList().stream().map(LockSummary::getLock).forEach(names::add);
        pageToken = page.getNextPageToken();
      } while (!pageToken.isEmpty());
      assertEquals(List.of("account:1", "account:2", "order:9"), names);
    } finally {
      // The waiter first: its wait is withdrawn (ABORTED "CANCELLED") rather than granted when the holder leaves.
      for (int i : new int[] {2, 1, 3, 4, 5}) {
        Await.result(Rpc.call(grpc, lockService(), LockServiceGrpcClient.ReleaseAll,
            ReleaseAllLocksRequest.newBuilder().setOwner("coord-0:9:" + i).build(), Duration.ofSeconds(10)));
      }
      assertEquals(GrpcStatus.ABORTED, ((RpcException) Await.failure(waiting)).status());
    }
  }

  /** Some line of stdout matches {@code regex} (columns are as wide as their longest cell). */
  static void assertLine(Cli.Run run, String regex) {
    assertTrue(run.out().lines().anyMatch(l -> l.matches(regex)), () -> "no line matches " + regex + "\n" + run);
  }

  @Test
  void clusterCommandsOnASingleCoordinatorAreRefused() {
    assertRefused(admin("cluster", "status"), "FAILED_PRECONDITION", "runs alone");
  }

  @Test
  void badListRequestsAreInvalid() {
    assertInvalid("page_size 1001 is out of range 0..1000", ListLocksRequest.newBuilder().setPageSize(1001).build());
    assertInvalid("page_size -1 is out of range", ListLocksRequest.newBuilder().setPageSize(-1).build());
    assertInvalid("page_token '!!!' is not one this service issued",
        ListLocksRequest.newBuilder().setPageToken("!!!").build());
    assertInvalid("page_token 'b3JkZXI6OQ' belongs to another listing",
        ListLocksRequest.newBuilder().setPrefix("account:").setPageToken("b3JkZXI6OQ").build());
    assertInvalid("prefix contains a control character", ListLocksRequest.newBuilder().setPrefix("a\tb").build());
  }

  static void assertInvalid(String messagePart, ListLocksRequest request) {
    Throwable failure = Await.failure(Rpc.call(grpc, lockService(), LockServiceGrpcClient.List, request,
        Duration.ofSeconds(10)));
    RpcException e = (RpcException) failure;
    assertEquals(GrpcStatus.INVALID_ARGUMENT, e.status(), e.getMessage());
    assertTrue(e.detail().contains(messagePart), e.detail());
  }
}
