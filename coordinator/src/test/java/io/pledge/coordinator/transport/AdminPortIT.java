package io.pledge.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.CoordinatorAdminGrpcClient;
import io.pledge.api.v1.Resolution;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin.port}: CoordinatorAdmin on a port of its own (issue 14), so that a NetworkPolicy or firewall can let
 * operators reach it and applications not; then neither port serves the other's service.
 */
class AdminPortIT {

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  @Test
  void adminIsServedOnItsOwnPortOnlyAndTheCoordinatorOnItsOwn() {
    Vertx vertx = Vertx.vertx();
    GrpcClient grpc = GrpcClient.client(vertx, GrpcTransport.of(new HttpClientOptions()));
    try {
      CoordinatorServer coordinator = Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS,
          Map.of("grpc.port", "0", "http.port", "0", "admin.port", "0", "data.dir", dir.toString()))));
      SocketAddress main = SocketAddress.inetSocketAddress(coordinator.grpcPort(), "127.0.0.1");
      SocketAddress admin = SocketAddress.inetSocketAddress(coordinator.adminPort(), "127.0.0.1");
      assertNotEquals(main, admin);

      String txId = Await.result(Rpc.call(grpc, main, TransactionCoordinatorGrpcClient.Begin,
          BeginRequest.getDefaultInstance(), TIMEOUT)).getTxId();
      ResolveRequest resolve = ResolveRequest.newBuilder().setTxId(txId).setResolution(Resolution.RESOLUTION_ROLLBACK)
          .setReason("test").build();
      assertUnimplemented(Rpc.call(grpc, main, CoordinatorAdminGrpcClient.Resolve, resolve, TIMEOUT));
      // The operator's rollback of the transaction: served on the admin port.
      Await.result(Rpc.call(grpc, admin, CoordinatorAdminGrpcClient.Resolve, resolve, TIMEOUT));
      assertUnimplemented(Rpc.call(grpc, admin, TransactionCoordinatorGrpcClient.Begin,
          BeginRequest.getDefaultInstance(), TIMEOUT));
      Await.result(coordinator.close());
    } finally {
      Await.result(grpc.close());
      Await.result(vertx.close());
    }
  }

  static void assertUnimplemented(Future<?> call) {
    Throwable failure = Await.failure(call);
    assertTrue(failure instanceof RpcException, "a status, not " + failure);
    assertEquals(GrpcStatus.UNIMPLEMENTED, ((RpcException) failure).status(), failure.getMessage());
  }
}
