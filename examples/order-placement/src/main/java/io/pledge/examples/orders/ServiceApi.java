package io.pledge.examples.orders;

import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

/** The client side of the services' HTTP APIs. Nothing blocks: every call returns a future. */
final class ServiceApi implements AutoCloseable {

  private static final int TIMEOUT_MS = 15_000;

  private final HttpClient http;

  ServiceApi(Vertx vertx, int connections) {
    this.http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(connections));
  }

  /**
   * {@code POST path?params} inside transaction {@code txId}; completes with the JSON answer, fails with
   * {@link Refused} when the service answers other than 200.
   */
  Future<JsonObject> post(String service, Endpoint endpoint, String path, Map<String, Object> params, String txId) {
    String query = params.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    RequestOptions request = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost(endpoint.host()).setPort(endpoint.port()).setURI(path + "?" + query).setTimeout(TIMEOUT_MS), txId);
    return send(service, request);
  }

  /** {@code GET /state}: the service's committed rows and its in-doubt counters. */
  Future<JsonObject> state(String service, Endpoint endpoint) {
    return send(service, new RequestOptions().setMethod(HttpMethod.GET).setHost(endpoint.host())
        .setPort(endpoint.port()).setURI("/state").setTimeout(TIMEOUT_MS));
  }

  private Future<JsonObject> send(String service, RequestOptions request) {
    return http.request(request).compose(req -> req.send()).compose(resp -> resp.body().compose(body -> {
      JsonObject json;
      try {
        json = body.length() == 0 ? new JsonObject() : new JsonObject(body);
      } catch (DecodeException e) {
        json = new JsonObject().put("error", "HTTP_" + resp.statusCode()).put("message", body.toString().strip());
      }
      return resp.statusCode() == 200 ? Future.succeededFuture(json)
          : Future.failedFuture(new Refused(service, resp.statusCode(), json.getString("error", "HTTP_"
              + resp.statusCode()), json.getString("message", "")));
    }));
  }

  @Override
  public void close() {
    http.close();
  }
}
