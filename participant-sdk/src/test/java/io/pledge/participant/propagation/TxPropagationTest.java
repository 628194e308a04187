package io.pledge.participant.propagation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.ParticipantGrpcClient;
import io.pledge.api.v1.ParticipantGrpcService;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.support.FakeCoordinator;
import io.pledge.participant.support.MemoryResource;
import io.pledge.participant.support.ParticipantCalls;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TxPropagationTest {

  @TempDir
  Path dir;

  @Test
  void oneHeaderNameEverywhere() {
    assertEquals("pledge-tx-id", TxPropagation.HEADER);
    assertEquals(Map.of("pledge-tx-id", "coord-0:3:17"), TxPropagation.metadata("coord-0:3:17"));
    assertEquals("coord-0:3:17",
        TxPropagation.attach(new RequestOptions(), "coord-0:3:17").getHeaders().get("pledge-tx-id"));
    assertThrows(IllegalArgumentException.class, () -> TxPropagation.metadata(""));
    assertThrows(IllegalArgumentException.class, () -> TxPropagation.metadata("x".repeat(300)));
  }

  /**
   * A downstream gRPC service wrapped with {@link TxPropagation#joining}: a call carrying the header enlists the
   * participant once; a call for a rolled-back transaction is refused before the handler runs.
   */
  @Test
  void joiningHandlerEnlistsBeforeTheServiceRuns() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (FakeCoordinator coordinator = FakeCoordinator.start(vertx, 0)) {
      ParticipantNode node = ParticipantNode.builder(vertx,
          ParticipantOptions.defaults(Endpoint.parse(coordinator.endpoint()), dir))
          .resource("inventory", new MemoryResource()).start().await(20, TimeUnit.SECONDS);
      // Any unary method serves as "the service's own call" here; Participant.Prepare is at hand.
      GrpcServer grpc = GrpcServer.server(vertx);
      grpc.callHandler(ParticipantGrpcService.Prepare, TxPropagation.joining(node, "inventory",
          request -> request.handler(msg -> request.response().end(PrepareResponse.getDefaultInstance()))));
      HttpServer server = vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      GrpcClient client = GrpcClient.client(vertx);
      SocketAddress address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
      PrepareRequest any = PrepareRequest.getDefaultInstance();

      Rpc.call(client, address, ParticipantGrpcClient.Prepare, any, Duration.ofSeconds(10),
          TxPropagation.metadata("tx-1")).await(10, TimeUnit.SECONDS);
      Rpc.call(client, address, ParticipantGrpcClient.Prepare, any, Duration.ofSeconds(10),
          TxPropagation.metadata("tx-1")).await(10, TimeUnit.SECONDS);
      assertEquals(1, coordinator.enlisted.size());
      assertEquals("tx-1", coordinator.enlisted.get(0).getTxId());

      try (ParticipantCalls calls = new ParticipantCalls(vertx, node.port())) {
        calls.rollback("tx-2", "inventory");
      }
      RpcException refused = assertThrows(RpcException.class, () -> Rpc.call(client, address,
          ParticipantGrpcClient.Prepare, any, Duration.ofSeconds(10), TxPropagation.metadata("tx-2"))
          .await(10, TimeUnit.SECONDS));
      assertEquals(GrpcStatus.FAILED_PRECONDITION, refused.status());
      assertTrue(refused.getMessage().contains("ROLLED_BACK"), refused.getMessage());
      node.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
