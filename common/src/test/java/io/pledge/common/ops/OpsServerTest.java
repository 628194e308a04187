package io.pledge.common.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ops endpoint on a real HTTP port: readiness follows the server's state, liveness does not. */
class OpsServerTest {

  Vertx vertx;
  HttpClient http;
  OpsServer ops;
  final AtomicBoolean ready = new AtomicBoolean();
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  record Reply(int status, String body) {}

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    ops = OpsServer.start(vertx, "127.0.0.1", 0, "test", registry, ready::get).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    ops.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  Reply get(String path) throws Exception {
    // The body is read in the same chain: a response left unread on the event loop is ended before a later
    // handler could see it.
    return http.request(HttpMethod.GET, ops.port(), "127.0.0.1", path)
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toString()))))
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  void readinessFollowsTheServerAndLivenessDoesNot() throws Exception {
    assertEquals(503, get("/health").status());
    assertEquals(503, get("/health/ready").status());
    assertTrue(get("/health/ready").body().contains("STARTING"));
    assertEquals(200, get("/health/live").status());
    ready.set(true);
    assertEquals(200, get("/health").status());
    assertTrue(get("/health/ready").body().contains("\"status\":\"UP\""));
  }

  @Test
  void metricsAreInPrometheusTextFormat() throws Exception {
    Counter.builder("pledge.test.things").register(registry).increment(3);
    Reply metrics = get("/metrics");
    assertEquals(200, metrics.status());
    assertTrue(metrics.body().contains("pledge_test_things_total 3.0"), metrics.body());
  }

  @Test
  void unknownPathsAreNotFound() throws Exception {
    Reply reply = get("/nope");
    assertEquals(404, reply.status());
    assertTrue(reply.body().contains("/metrics"));
  }
}
