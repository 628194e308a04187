package io.pledge.common.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Flush consolidation reaches real connections: it goes in through Vert.x internals, and a Vert.x upgrade that
 * changed them would otherwise only show as a slower benchmark.
 */
class GrpcTransportTest {

  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void serverAndClientConnectionsConsolidateFlushes() throws Exception {
    Promise<Boolean> server = Promise.promise();
    Promise<Boolean> client = Promise.promise();
    // The step GrpcTransport.server and GrpcTransport.client take, on connections this test can see.
    vertx.createHttpServer().connectionHandler(conn -> {
      GrpcTransport.consolidateFlushes(conn);
      server.tryComplete(hasHandler(conn));
    }).requestHandler(req -> req.response().end("ok")).listen(0, "127.0.0.1").compose(s -> {
      var httpClient = vertx.httpClientBuilder().with(GrpcTransport.of(new HttpClientOptions()))
          .withConnectHandler(conn -> {
            GrpcTransport.consolidateFlushes(conn);
            client.tryComplete(hasHandler(conn));
          }).build();
      return httpClient.request(HttpMethod.GET, s.actualPort(), "127.0.0.1", "/")
          .compose(r -> r.send().compose(resp -> resp.body()));
    }).await(10, TimeUnit.SECONDS);
    assertTrue(server.future().await(10, TimeUnit.SECONDS), "server connection");
    assertTrue(client.future().await(10, TimeUnit.SECONDS), "client connection");
  }

  private static boolean hasHandler(io.vertx.core.http.HttpConnection conn) {
    return conn instanceof ConnectionBase base
        && base.channel().pipeline().get(FlushConsolidationHandler.class) != null;
  }
}
