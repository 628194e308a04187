package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Empty;
import com.google.protobuf.MessageLite;
import io.pledge.api.v1.AdminProto;
import io.pledge.api.v1.CoordinatorProto;
import io.pledge.api.v1.GetTransactionRequest;
import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.LockProto;
import io.pledge.api.v1.ParticipantProto;
import io.pledge.api.v1.ReleaseAllLocksRequest;
import io.pledge.api.v1.ReleaseLockRequest;
import io.pledge.api.v1.Resolution;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.RollbackRequest;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.common.tls.Authorization;
import io.pledge.common.tls.DevCertificates;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.Role;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.support.MemoryResource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep of issue 14: every rpc of every service (coordinator, admin, participant endpoint, lock service), unary
 * and as a call-session frame, by callers with no certificate, another CA's, an expired one, and one certificate
 * per role; each cell's status checked against the policy table, and the refused cells change nothing (a
 * transaction and a lock the refused calls aim at are as they were).
 */
class AuthorizationSweepIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String POLICY = """
      spiffe://pledge/coordinator = coordinator
      spiffe://pledge/participant/* = participant, lock-user
      spiffe://pledge/role/client = client
      spiffe://pledge/role/participant = participant
      spiffe://pledge/role/coordinator = coordinator
      spiffe://pledge/role/operator = operator
      spiffe://pledge/role/lock-user = lock-user
      """;

  @TempDir
  Path dir;

  private Vertx vertx;
  private DevCertificates ca;
  private Path caFile;
  private LockServer lockServer;
  private CoordinatorServer coordinator;
  private ParticipantNode node;
  private final Map<String, Optional<TlsOptions>> callers = new LinkedHashMap<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  private Map<String, String> settings(String name, String identity) {
    ca.issue(name, "uri:" + identity, "localhost", "ip:127.0.0.1").write(dir, name);
    return Map.of("tls.cert", dir.resolve(name + ".crt").toString(), "tls.key", dir.resolve(name + ".key").toString(),
        "tls.ca", caFile.toString(), "tls.policy", dir.resolve("policy.properties").toString());
  }

  private TlsOptions tls(String name, String identity) {
    settings(name, identity);
    return TlsOptions.mutual(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), caFile);
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    ca = DevCertificates.authority("sweep-ca");
    caFile = ca.writeCa(dir.resolve("ca.crt"));
    Files.writeString(dir.resolve("policy.properties"), POLICY);
    Map<String, String> lockSettings = new HashMap<>(LockServiceOptions.loopbackMember(5984, "sweep-it"));
    lockSettings.putAll(settings("lock-service", "spiffe://pledge/lock-service"));
    lockServer = LockServer.start(Config.of(LockServiceOptions.ALL, lockSettings));
    Map<String, String> coordSettings = new HashMap<>(Map.of("grpc.port", "0", "http.port", "0",
        "data.dir", dir.resolve("coordinator").toString(), "locks.endpoint", "127.0.0.1:" + lockServer.grpcPort()));
    coordSettings.putAll(settings("coordinator", "spiffe://pledge/coordinator"));
    coordinator = CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, coordSettings))
        .await(60, TimeUnit.SECONDS);
    Endpoint coord = new Endpoint("127.0.0.1", coordinator.grpcPort());
    node = ParticipantNode.builder(vertx, ParticipantOptions.defaults(coord, dir.resolve("a")))
        .resource("a", new MemoryResource()).tls(Optional.of(tls("participant-a", "spiffe://pledge/participant/a")))
        .policy(Optional.of(Policy.load(dir.resolve("policy.properties")))).start().await(30, TimeUnit.SECONDS);

    callers.put("no certificate", Optional.of(TlsOptions.trusting(caFile)));
    DevCertificates other = DevCertificates.authority("other-ca");
    other.issue("mallory", "uri:spiffe://pledge/role/operator").write(dir, "mallory");
    callers.put("another CA's certificate", Optional.of(TlsOptions.mutual(dir.resolve("mallory.crt"),
        dir.resolve("mallory.key"), caFile)));
    ca.issue("late", Instant.now().minus(Duration.ofDays(2)), Instant.now().minus(Duration.ofDays(1)),
        "uri:spiffe://pledge/role/operator").write(dir, "late");
    callers.put("an expired certificate", Optional.of(TlsOptions.mutual(dir.resolve("late.crt"),
        dir.resolve("late.key"), caFile)));
    for (Role role : Role.values()) {
      callers.put(role.text(), Optional.of(tls("role-" + role.text(), "spiffe://pledge/role/" + role.text())));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    node.close().await(10, TimeUnit.SECONDS);
    coordinator.close().await(10, TimeUnit.SECONDS);
    lockServer.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private record Cell(String caller, String method, boolean session, GrpcStatus status, String message) {}

  @Test
  void everyRpcByEveryCallerAnswersAsThePolicySays() throws Exception {
    // What the refused calls aim at: a transaction begun by the client, a lock held by a lock user.
    TransactionClient client = TransactionClient.create(vertx, new Endpoint("127.0.0.1", coordinator.grpcPort()),
        TIMEOUT, callers.get("client"));
    String tx = client.begin().await(10, TimeUnit.SECONDS);
    LockClient locks = LockClient.create(vertx, new Endpoint("127.0.0.1", lockServer.grpcPort()),
        callers.get("lock-user"));
    locks.acquire(LockClient.Request.exclusive("sweep-lock", "owner-1", Duration.ofSeconds(50)))
        .await(10, TimeUnit.SECONDS);
    Map<String, MessageLite> aimed = Map.of(
        "pledge.v1.TransactionCoordinator/Commit", CommitRequest.newBuilder().setTxId(tx).build(),
        "pledge.v1.TransactionCoordinator/Rollback", RollbackRequest.newBuilder().setTxId(tx).build(),
        "pledge.v1.CoordinatorAdmin/Resolve", ResolveRequest.newBuilder().setTxId(tx)
            .setResolution(Resolution.RESOLUTION_ROLLBACK).setReason("sweep").build(),
        "pledge.v1.LockService/Release", ReleaseLockRequest.newBuilder().setLock("sweep-lock").setOwner("owner-1")
            .build(),
        "pledge.v1.LockService/ReleaseAll", ReleaseAllLocksRequest.newBuilder().setOwner("owner-1").build());
    String before = snapshot(tx);

    Map<String, SocketAddress> servers = Map.of(
        "pledge.v1.TransactionCoordinator", SocketAddress.inetSocketAddress(coordinator.grpcPort(), "127.0.0.1"),
        "pledge.v1.CoordinatorAdmin", SocketAddress.inetSocketAddress(coordinator.grpcPort(), "127.0.0.1"),
        "pledge.v1.Participant", SocketAddress.inetSocketAddress(node.port(), "127.0.0.1"),
        "pledge.v1.LockService", SocketAddress.inetSocketAddress(lockServer.grpcPort(), "127.0.0.1"));
    List<ServiceDescriptor> services = List.of(
        CoordinatorProto.getDescriptor().findServiceByName("TransactionCoordinator"),
        AdminProto.getDescriptor().findServiceByName("CoordinatorAdmin"),
        ParticipantProto.getDescriptor().findServiceByName("Participant"),
        LockProto.getDescriptor().findServiceByName("LockService"));

    // Refused cells first, all of them, then the state they aimed at is compared; allowed cells after.
    List<Cell> cells = new ArrayList<>();
    for (boolean allowedPhase : new boolean[] {false, true}) {
      for (var caller : callers.entrySet()) {
        GrpcClient unary = GrpcTransport.client(vertx, new HttpClientOptions(), caller.getValue());
        CallSessions sessions = new CallSessions(vertx, new HttpClientOptions(), Map.of(), true, caller.getValue());
        for (ServiceDescriptor service : services) {
          for (MethodDescriptor m : service.getMethods()) {
            String full = service.getFullName() + "/" + m.getName();
            if (allowed(caller.getKey(), full) != allowedPhase) {
              continue;
            }
            ServiceMethod<Empty, MessageLite> method = ServiceMethod.client(
                ServiceName.create(service.getFullName()), m.getName(), GrpcMessageEncoder.encoder(),
                GrpcMessageDecoder.decoder(Empty.newBuilder()));
            MessageLite request = aimed.getOrDefault(full, Empty.getDefaultInstance());
            SocketAddress at = servers.get(service.getFullName());
            for (boolean session : new boolean[] {false, true}) {
              Future<Empty> call = session ? sessions.call(at, method, request, TIMEOUT)
                  : Rpc.call(unary, at, method, request, TIMEOUT, Map.of());
              cells.add(outcome(caller.getKey(), full, session, call));
            }
          }
        }
        sessions.close().await(10, TimeUnit.SECONDS);
        unary.close().await(10, TimeUnit.SECONDS);
      }
      if (!allowedPhase) {
        assertEquals(before, snapshot(tx), "the refused calls changed nothing");
      }
    }

    int refusedByTls = 0;
    int unauthenticated = 0;
    int denied = 0;
    int allowed = 0;
    List<String> wrong = new ArrayList<>();
    for (Cell c : cells) {
      boolean badCertificate = !Set.of(Role.values()).stream().map(Role::text).toList().contains(c.caller());
      if (badCertificate) {
        // Refused by the TLS handshake (another CA, expired) or for want of a certificate: never by a handler.
        if (c.status() == GrpcStatus.OK || c.status() == GrpcStatus.PERMISSION_DENIED
            || c.status() == GrpcStatus.INVALID_ARGUMENT || c.status() == GrpcStatus.NOT_FOUND
            || c.status() == GrpcStatus.FAILED_PRECONDITION) {
          wrong.add(c.toString());
        }
        if (c.status() == GrpcStatus.UNAUTHENTICATED) {
          unauthenticated++;
        } else {
          refusedByTls++;
        }
      } else if (allowed(c.caller(), c.method())) {
        if (c.status() == GrpcStatus.PERMISSION_DENIED || c.status() == GrpcStatus.UNAUTHENTICATED) {
          wrong.add(c.toString());
        }
        allowed++;
      } else {
        Set<Role> needed = Authorization.TABLE.get(c.method());
        if (c.status() != GrpcStatus.PERMISSION_DENIED
            || !needed.stream().allMatch(r -> c.message().contains(r.text()))) {
          wrong.add(c.toString());
        }
        denied++;
      }
    }
    System.out.printf("authorization sweep: %d cells (%d methods x %d callers x unary/frame): %d allowed,"
        + " %d PERMISSION_DENIED, %d UNAUTHENTICATED, %d refused by the TLS handshake%n", cells.size(),
        cells.size() / callers.size() / 2, callers.size(), allowed, denied, unauthenticated, refusedByTls);
    assertEquals(List.of(), wrong, "cells whose status disagrees with the policy table");
    assertEquals(24 * callers.size() * 2, cells.size()); // 24 rpcs, the cluster's two admin calls included
    assertTrue(allowed > 0 && denied > 0 && refusedByTls > 0);
    client.close();
    locks.close();
  }

  private static boolean allowed(String caller, String method) {
    return Authorization.TABLE.get(method).stream().anyMatch(r -> r.text().equals(caller));
  }

  private static Cell outcome(String caller, String method, boolean session, Future<?> call) {
    try {
      call.await(20, TimeUnit.SECONDS);
      return new Cell(caller, method, session, GrpcStatus.OK, "");
    } catch (RpcException e) {
      return new Cell(caller, method, session, e.status(), e.detail());
    } catch (Exception e) {
      return new Cell(caller, method, session, GrpcStatus.UNAVAILABLE, String.valueOf(e));
    }
  }

  /** The transaction's state and the lock's holders, as an operator reads them. */
  private String snapshot(String tx) throws Exception {
    GrpcClient operator = GrpcTransport.client(vertx, new HttpClientOptions(), callers.get("operator"));
    try {
      var info = Rpc.call(operator, SocketAddress.inetSocketAddress(coordinator.grpcPort(), "127.0.0.1"),
          TransactionCoordinatorGrpcClient.GetTransaction, GetTransactionRequest.newBuilder().setTxId(tx).build(),
          TIMEOUT, Map.of()).await(10, TimeUnit.SECONDS).getTransaction();
      var lock = Rpc.call(operator, SocketAddress.inetSocketAddress(lockServer.grpcPort(), "127.0.0.1"),
          LockServiceGrpcClient.Inspect, InspectLockRequest.newBuilder().setLock("sweep-lock").build(), TIMEOUT,
          Map.of()).await(10, TimeUnit.SECONDS);
      return info.getState() + " " + info.getParticipantsCount() + " | " + lock.getHoldersList();
    } finally {
      operator.close();
    }
  }
}
