package io.pledge.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 1 on the client side: a server (bogus or hostile: none of Pledge's compresses) that answers with a
 * gzip reply of 8 MB inflated does not get it inflated in a Pledge client; the call fails RESOURCE_EXHAUSTED.
 */
class CompressedReplyTest {

  Vertx vertx;
  HttpServer server;
  GrpcClient client;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    // A plain Vert.x server, not a Pledge one: it compresses its replies.
    GrpcServer grpc = GrpcServer.server(vertx);
    grpc.callHandler(CallSessionsTest.SAY, call -> call.handler(msg -> call.response().encoding("gzip")
        .end(StringValue.of("x".repeat(8 << 20)))));
    server = vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    client = GrpcTransport.client(vertx, new HttpClientOptions());
  }

  @AfterEach
  void stop() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aCompressedReplyIsRefusedNotInflated() {
    Exception e = assertThrows(Exception.class, () -> Rpc.call(client,
        SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"), CallSessionsTest.SAY_CLIENT,
        StringValue.of("hi"), Duration.ofSeconds(10)).await(20, TimeUnit.SECONDS));
    Throwable cause = e instanceof CompletionException ? e.getCause() : e;
    assertTrue(cause instanceof RpcException, cause.toString());
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, ((RpcException) cause).status(), cause.toString());
    assertTrue(cause.getMessage().contains("compressed reply"), cause.getMessage());
  }
}
