package io.pledge.common.ops;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.tls.TlsReload;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The operations endpoint every Pledge server exposes over HTTP (or HTTPS):
 * <ul>
 *   <li>{@code /metrics}: Prometheus text format;</li>
 *   <li>{@code /health/live}: 200 while the process serves requests (liveness);</li>
 *   <li>{@code /health/ready} and {@code /health}: 200 once the server is ready (for the coordinator: recovery is
 *       done), 503 before (readiness).</li>
 * </ul>
 * Scraping runs on a worker thread, never on the event loop: a large registry takes milliseconds to render.
 */
public final class OpsServer {

  private static final Set<String> PATHS = Set.of("/metrics", "/health", "/health/live", "/health/ready");

  private final HttpServer server;

  private OpsServer(HttpServer server) {
    this.server = server;
  }

  /** Starts on {@code host:port} (port 0 picks a free port: see {@link #port()}). */
  public static Future<OpsServer> start(Vertx vertx, String host, int port, String component,
      PrometheusMeterRegistry registry, BooleanSupplier ready) {
    return start(vertx, host, port, component, registry, ready, Optional.empty());
  }

  /**
   * Starts on {@code host:port}, over HTTPS when {@code tls} is given (its certificate reloaded as it changes). No
   * client certificate is asked for: probes and Prometheus scrapers rarely have one, and these routes change
   * nothing (docs/security.md).
   */
  public static Future<OpsServer> start(Vertx vertx, String host, int port, String component,
      PrometheusMeterRegistry registry, BooleanSupplier ready, Optional<TlsOptions> tls) {
    Optional<TlsOptions> serverTls = tls.map(t -> t.withClientAuth(ClientAuth.NONE));
    HttpServer http = serverTls.map(t -> TlsReload.server(vertx, t, vertx.createHttpServer(t.applyTo(
        new HttpServerOptions())))).orElseGet(vertx::createHttpServer);
    return http.requestHandler(handler(vertx, component, registry, ready)).listen(port, host).map(OpsServer::new);
  }

  /** The same routes, for a service that serves them on its own HTTP port (e.g. next to its API). */
  public static Handler<HttpServerRequest> handler(Vertx vertx, String component, PrometheusMeterRegistry registry,
      BooleanSupplier ready) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(ready, "ready");
    return req -> handle(vertx, req, component, registry, ready);
  }

  /** The paths {@link #handler} serves. */
  public static boolean serves(String path) {
    return PATHS.contains(path);
  }

  private static void handle(Vertx vertx, HttpServerRequest req, String component, PrometheusMeterRegistry registry,
      BooleanSupplier ready) {
    switch (req.path()) {
      case "/metrics" -> vertx.executeBlocking(registry::scrape, false).onComplete(ar -> {
        if (ar.succeeded()) {
          req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
        } else {
          req.response().setStatusCode(500).end(String.valueOf(ar.cause()));
        }
      });
      case "/health/live" -> json(req, 200, new JsonObject().put("status", "UP").put("component", component));
      case "/health", "/health/ready" -> {
        boolean isReady = ready.getAsBoolean();
        json(req, isReady ? 200 : 503,
            new JsonObject().put("status", isReady ? "UP" : "STARTING").put("component", component));
      }
      default -> req.response().setStatusCode(404).end("not found: try /metrics, /health, /health/live, /health/ready\n");
    }
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> close() {
    return server.close();
  }
}
