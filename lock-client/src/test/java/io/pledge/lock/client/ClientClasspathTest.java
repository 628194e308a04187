package io.pledge.lock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.LockServiceGrpcService;
import io.pledge.common.grpc.Endpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.grpc.server.GrpcServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The lock client is what services embed: it must not drag the servers' libraries into them. This module's test
 * classpath is exactly what a service gets from depending on the client, so here the servers' store and metrics
 * libraries are absent, and a real call still works.
 */
class ClientClasspathTest {

  @Test
  void theServersStoreAndMetricsLibrariesAreNotOnTheClientsClasspath() {
    for (String serverOnly : new String[] {"org.h2.Driver", "org.flywaydb.core.Flyway",
        "io.micrometer.core.instrument.MeterRegistry", "io.micrometer.prometheusmetrics.PrometheusMeterRegistry"}) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(serverOnly), serverOnly);
    }
  }

  @Test
  void aCallOverRealGrpcWorksWithoutThem() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      GrpcServer grpc = GrpcServer.server(vertx);
      grpc.addService(LockServiceGrpcService.builder(new io.pledge.api.v1.LockServiceService() {
        @Override
        public Future<InspectLockResponse> inspect(InspectLockRequest request) {
          return Future.succeededFuture(InspectLockResponse.newBuilder().setLock(request.getLock())
              .setLastFencingToken(42).build());
        }
      }).bind(LockServiceGrpcService.Inspect).build());
      HttpServer server = vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      LockClient client = LockClient.create(vertx, Endpoint.parse("127.0.0.1:" + server.actualPort()));
      try {
        InspectLockResponse answer = client.inspect("account-7").await(10, TimeUnit.SECONDS);
        assertEquals("account-7", answer.getLock());
        assertEquals(42, answer.getLastFencingToken());
      } finally {
        client.close();
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
