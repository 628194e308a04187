package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.support.MemoryResource;
import io.pledge.testkit.RawGrpc;
import io.pledge.testkit.RawGrpc.Reply;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 1 at the SDK's participant endpoint: its HTTP server comes from the shared GrpcTransport, which
 * refuses compressed requests before they are inflated, so a gzip bomb cannot reach its heap.
 */
class EndpointWireIT {

  @TempDir
  Path dir;

  Vertx vertx;
  ParticipantNode node;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    // No coordinator is needed to be sent a request: nothing here enlists.
    node = ParticipantNode.builder(vertx, ParticipantOptions.defaults(new Endpoint("127.0.0.1", 1), dir))
        .resource("a", new MemoryResource()).start().await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    node.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void gzipBombsAreRefused() throws Exception {
    byte[] bomb = RawGrpc.gzipBomb(250 << 20);
    try (RawGrpc raw = new RawGrpc(vertx, node.port())) {
      for (String method : List.of("pledge.v1.Participant/Prepare", "pledge.v1.Participant/Commit",
          "pledge.v1.Participant/Rollback", "pledge.v1.CallSession/Open")) {
        Reply reply = raw.call(method, Map.of("grpc-encoding", "gzip"), RawGrpc.frame(bomb, true))
            .await(30, TimeUnit.SECONDS);
        assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), method + ": " + reply);
        assertTrue(reply.message().contains("compressed requests are refused"), reply.toString());
      }
    }
  }
}
