package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.AcquireLockRequest;
import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.LockMode;
import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.ReleaseLockRequest;
import io.pledge.api.v1.RenewLockRequest;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.GetTransactionRequest;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.RollbackRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.common.tls.DevCertificates;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ownership cells of issue 14 against a coordinator with mutual TLS and a policy: another client's certificate
 * can neither commit, roll back nor read a transaction (unary or as a call-session frame) and changes nothing; its
 * beginner and an operator can, also after a restart (the owner is in the log); a participant certificate enlists
 * only under its own id.
 */
class OwnershipIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String POLICY = """
      spiffe://pledge/app/* = client
      spiffe://pledge/participant/* = participant
      spiffe://pledge/ops/* = operator
      spiffe://pledge/locker/* = lock-user
      """;

  @TempDir
  Path dir;

  private Vertx vertx;
  private DevCertificates ca;
  private Path caFile;
  private CoordinatorServer coordinator;
  private io.pledge.lock.LockServer lockServer;
  private Map<String, String> coordSettings;

  private TlsOptions tls(String name, String identity) {
    ca.issue(name, "uri:" + identity, "localhost", "ip:127.0.0.1").write(dir, name);
    return TlsOptions.mutual(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), caFile);
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    ca = DevCertificates.authority("ownership-ca");
    caFile = ca.writeCa(dir.resolve("ca.crt"));
    Files.writeString(dir.resolve("policy.properties"), POLICY);
    tls("coordinator", "spiffe://pledge/coordinator");
    coordSettings = new HashMap<>(Map.of("grpc.port", "0", "http.port", "0",
        "data.dir", dir.resolve("coordinator").toString(), "tls.cert", dir.resolve("coordinator.crt").toString(),
        "tls.key", dir.resolve("coordinator.key").toString(), "tls.ca", caFile.toString(),
        "tls.policy", dir.resolve("policy.properties").toString()));
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, coordSettings))
        .await(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    coordinator.close().await(10, TimeUnit.SECONDS);
    if (lockServer != null) {
      lockServer.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** One caller's unary client and call sessions, with its certificate. */
  private final class Caller implements AutoCloseable {
    final GrpcClient unary;
    final CallSessions sessions;

    Caller(TlsOptions tls) {
      unary = GrpcTransport.client(vertx, new HttpClientOptions(), java.util.Optional.of(tls));
      sessions = new CallSessions(vertx, new HttpClientOptions(), Map.of(), true, java.util.Optional.of(tls));
    }

    <Req extends com.google.protobuf.MessageLite, Resp> Resp call(ServiceMethod<Resp, Req> method, Req request,
        boolean session) throws Exception {
      return call(coordinator.grpcPort(), method, request, session);
    }

    <Req extends com.google.protobuf.MessageLite, Resp> Resp call(int port, ServiceMethod<Resp, Req> method,
        Req request, boolean session) throws Exception {
      SocketAddress at = SocketAddress.inetSocketAddress(port, "127.0.0.1");
      Future<Resp> f = session ? sessions.call(at, method, request, TIMEOUT)
          : Rpc.call(unary, at, method, request, TIMEOUT, Map.of());
      return f.await(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
      sessions.close().await(10, TimeUnit.SECONDS);
      unary.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static RpcException refused(Callable call) {
    try {
      call.call();
    } catch (RpcException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a status, got " + e, e);
    }
    throw new AssertionError("the call was not refused");
  }

  @FunctionalInterface
  private interface Callable {
    Object call() throws Exception;
  }

  private static void assertDenied(RpcException e, String call) {
    assertEquals(GrpcStatus.PERMISSION_DENIED, e.status(), e.detail());
    assertTrue(e.detail().contains(call) && e.detail().contains("only the identity that began it, or an operator")
        && e.detail().contains("spiffe://pledge/app/bob") && !e.detail().contains("alice"), e.detail());
  }

  @Test
  void onlyTheBeginnerOrAnOperatorFinishesOrReadsATransactionAlsoAfterARestart() throws Exception {
    Caller alice = new Caller(tls("alice", "spiffe://pledge/app/alice"));
    Caller bob = new Caller(tls("bob", "spiffe://pledge/app/bob"));
    Caller ops = new Caller(tls("ops", "spiffe://pledge/ops/carol"));
    String tx = alice.call(TransactionCoordinatorGrpcClient.Begin, BeginRequest.getDefaultInstance(), false)
        .getTxId();
    Supplier<TransactionState> state = () -> {
      try {
        return ops.call(TransactionCoordinatorGrpcClient.GetTransaction,
            GetTransactionRequest.newBuilder().setTxId(tx).build(), false).getTransaction().getState();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };

    int denied = 0;
    for (boolean session : new boolean[] {false, true}) {
      assertDenied(refused(() -> bob.call(TransactionCoordinatorGrpcClient.Commit,
          CommitRequest.newBuilder().setTxId(tx).build(), session)), "Commit of transaction " + tx);
      assertDenied(refused(() -> bob.call(TransactionCoordinatorGrpcClient.Rollback,
          RollbackRequest.newBuilder().setTxId(tx).build(), session)), "Rollback of transaction " + tx);
      assertDenied(refused(() -> bob.call(TransactionCoordinatorGrpcClient.GetTransaction,
          GetTransactionRequest.newBuilder().setTxId(tx).build(), session)), "GetTransaction of transaction " + tx);
      denied += 3;
    }
    assertEquals(TransactionState.TRANSACTION_STATE_ACTIVE, state.get(), "the refused calls changed nothing");

    // The beginner reads and commits it (a frame), the operator reads it.
    assertEquals(TransactionState.TRANSACTION_STATE_ACTIVE, alice.call(TransactionCoordinatorGrpcClient
        .GetTransaction, GetTransactionRequest.newBuilder().setTxId(tx).build(), true).getTransaction().getState());
    assertEquals(Outcome.OUTCOME_COMMITTED, alice.call(TransactionCoordinatorGrpcClient.Commit,
        CommitRequest.newBuilder().setTxId(tx).build(), true).getOutcome());
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, state.get());

    // An operator rolls back someone else's transaction.
    String other = alice.call(TransactionCoordinatorGrpcClient.Begin, BeginRequest.getDefaultInstance(), false)
        .getTxId();
    assertEquals(Outcome.OUTCOME_ABORTED, ops.call(TransactionCoordinatorGrpcClient.Rollback,
        RollbackRequest.newBuilder().setTxId(other).build(), false).getOutcome());

    // After a restart the transaction is known from the log only: the owner came with it.
    alice.close();
    bob.close();
    ops.close();
    coordinator.close().await(10, TimeUnit.SECONDS);
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, coordSettings))
        .await(60, TimeUnit.SECONDS);
    Caller alice2 = new Caller(TlsOptions.mutual(dir.resolve("alice.crt"), dir.resolve("alice.key"), caFile));
    Caller bob2 = new Caller(TlsOptions.mutual(dir.resolve("bob.crt"), dir.resolve("bob.key"), caFile));
    assertDenied(refused(() -> bob2.call(TransactionCoordinatorGrpcClient.GetTransaction,
        GetTransactionRequest.newBuilder().setTxId(tx).build(), false)), "GetTransaction of transaction " + tx);
    assertDenied(refused(() -> bob2.call(TransactionCoordinatorGrpcClient.Commit,
        CommitRequest.newBuilder().setTxId(tx).build(), true)), "Commit of transaction " + tx);
    denied += 2;
    assertEquals(TransactionState.TRANSACTION_STATE_COMMITTED, alice2.call(TransactionCoordinatorGrpcClient
        .GetTransaction, GetTransactionRequest.newBuilder().setTxId(tx).build(), false).getTransaction().getState());
    assertEquals(Outcome.OUTCOME_COMMITTED, alice2.call(TransactionCoordinatorGrpcClient.Commit,
        CommitRequest.newBuilder().setTxId(tx).build(), false).getOutcome(), "a retried commit gets its outcome");
    System.out.printf("ownership: %d calls by another client refused, beginner and operator allowed%n", denied);
    alice2.close();
    bob2.close();
  }

  @Test
  void onlyTheIdentityThatAcquiredUnderAnOwnerRenewsOrReleasesAsItAndSeesItsToken() throws Exception {
    tls("lock-service", "spiffe://pledge/lock-service");
    Map<String, String> lockSettings = new HashMap<>(
        io.pledge.lock.config.LockServiceOptions.loopbackMember(5986, "ownership-it"));
    lockSettings.putAll(Map.of("tls.cert", dir.resolve("lock-service.crt").toString(),
        "tls.key", dir.resolve("lock-service.key").toString(), "tls.ca", caFile.toString(),
        "tls.policy", dir.resolve("policy.properties").toString()));
    lockServer = io.pledge.lock.LockServer.start(Config.of(io.pledge.lock.config.LockServiceOptions.ALL,
        lockSettings));
    int port = lockServer.grpcPort();
    Caller alice = new Caller(tls("locker-alice", "spiffe://pledge/locker/alice"));
    Caller bob = new Caller(tls("locker-bob", "spiffe://pledge/locker/bob"));
    Caller ops = new Caller(tls("ops", "spiffe://pledge/ops/carol"));
    long token = alice.call(port, LockServiceGrpcClient.Acquire, AcquireLockRequest.newBuilder().setLock("L")
        .setOwner("tx-1").setMode(LockMode.LOCK_MODE_EXCLUSIVE).setLeaseMs(30_000).build(), false)
        .getFencingToken();
    InspectLockRequest inspect = InspectLockRequest.newBuilder().setLock("L").build();
    for (boolean session : new boolean[] {false, true}) {
      for (Callable call : new Callable[] {
          () -> bob.call(port, LockServiceGrpcClient.Renew, RenewLockRequest.newBuilder().setLock("L")
              .setOwner("tx-1").setFencingToken(token).setLeaseMs(30_000).build(), session),
          () -> bob.call(port, LockServiceGrpcClient.Release, ReleaseLockRequest.newBuilder().setLock("L")
              .setOwner("tx-1").setFencingToken(token).build(), session),
          () -> bob.call(port, LockServiceGrpcClient.TryAcquire, AcquireLockRequest.newBuilder().setLock("L")
              .setOwner("tx-1").setMode(LockMode.LOCK_MODE_EXCLUSIVE).setLeaseMs(30_000).build(), session)}) {
        RpcException e = refused(call);
        assertEquals(GrpcStatus.PERMISSION_DENIED, e.status(), e.detail());
        assertTrue(e.detail().contains("spiffe://pledge/locker/bob may not")
            && e.detail().contains("only the identity that acquired under an owner, or an operator"), e.detail());
      }
      var seen = bob.call(port, LockServiceGrpcClient.Inspect, inspect, session);
      assertEquals(0, seen.getHolders(0).getFencingToken(), "another lock user does not see the token");
      assertEquals(0, seen.getLastFencingToken());
      assertEquals("tx-1", seen.getHolders(0).getOwner());
    }
    var asOwner = alice.call(port, LockServiceGrpcClient.Inspect, inspect, true);
    assertEquals(token, asOwner.getHolders(0).getFencingToken(), "the owner sees its token");
    assertEquals(1, asOwner.getHolders(0).getHoldCount(), "the refused calls changed nothing");
    assertEquals(token, ops.call(port, LockServiceGrpcClient.Inspect, inspect, false).getHolders(0)
        .getFencingToken(), "an operator sees every token");
    alice.call(port, LockServiceGrpcClient.Renew, RenewLockRequest.newBuilder().setLock("L").setOwner("tx-1")
        .setFencingToken(token).setLeaseMs(30_000).build(), true);
    // An operator may release for any owner.
    assertEquals(0, ops.call(port, LockServiceGrpcClient.Release, ReleaseLockRequest.newBuilder().setLock("L")
        .setOwner("tx-1").setFencingToken(token).build(), false).getHoldCount());
    alice.close();
    bob.close();
    ops.close();
  }

  @Test
  void aParticipantCertificateEnlistsOnlyUnderItsOwnId() throws Exception {
    Caller alice = new Caller(tls("alice", "spiffe://pledge/app/alice"));
    Caller a = new Caller(tls("participant-a", "spiffe://pledge/participant/a"));
    Caller b = new Caller(tls("participant-b", "spiffe://pledge/participant/b"));
    String tx = alice.call(TransactionCoordinatorGrpcClient.Begin, BeginRequest.getDefaultInstance(), false)
        .getTxId();
    EnlistRequest asA = EnlistRequest.newBuilder().setTxId(tx).setParticipantId("a").setEndpoint("127.0.0.1:9")
        .build();
    for (boolean session : new boolean[] {false, true}) {
      RpcException e = refused(() -> b.call(TransactionCoordinatorGrpcClient.Enlist, asA, session));
      assertEquals(GrpcStatus.PERMISSION_DENIED, e.status(), e.detail());
      assertTrue(e.detail().contains("enlists only under its own id")
          && e.detail().contains("spiffe://pledge/participant/b is not a"), e.detail());
    }
    assertEquals(0, alice.call(TransactionCoordinatorGrpcClient.GetTransaction,
        GetTransactionRequest.newBuilder().setTxId(tx).build(), false).getTransaction().getParticipantsCount(),
        "the refused Enlist changed nothing");
    assertTrue(!a.call(TransactionCoordinatorGrpcClient.Enlist, asA, false).getAlreadyEnlisted());
    assertEquals(1, alice.call(TransactionCoordinatorGrpcClient.GetTransaction,
        GetTransactionRequest.newBuilder().setTxId(tx).build(), false).getTransaction().getParticipantsCount());
    alice.call(TransactionCoordinatorGrpcClient.Rollback, RollbackRequest.newBuilder().setTxId(tx).build(), false);
    alice.close();
    a.close();
    b.close();
  }
}
