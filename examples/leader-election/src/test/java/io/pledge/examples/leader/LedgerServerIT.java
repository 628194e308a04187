package io.pledge.examples.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger's HTTP API on loopback: answers, status codes and messages. */
class LedgerServerIT {

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newHttpClient();
  private Vertx vertx;
  private LedgerServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = LedgerServer.start(vertx, new LedgerOptions("127.0.0.1", 0, dir, "leader/ledger"), r -> { })
        .await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void appendsInOrderAndRefusesAStaleTokenWith409() throws Exception {
    HttpResponse<String> first = send("POST", "/append?writer=worker-1&token=41&seq=1");
    assertEquals(200, first.statusCode(), first.body());
    assertEquals(1, new JsonObject(first.body()).getLong("index"));
    assertEquals(200, send("POST", "/append?writer=worker-2&token=43&seq=1").statusCode());

    HttpResponse<String> stale = send("POST", "/append?writer=worker-1&token=41&seq=2");

    assertEquals(409, stale.statusCode());
    JsonObject body = new JsonObject(stale.body());
    assertEquals(43, body.getLong("highest"));
    assertTrue(body.getString("error").startsWith("stale fencing token 41"), stale.body());
    JsonArray entries = new JsonArray(send("GET", "/entries").body());
    assertEquals(2, entries.size());
    assertEquals("worker-2", entries.getJsonObject(1).getString("writer"));
    assertEquals(1, new JsonArray(send("GET", "/rejections").body()).size());
    JsonObject status = new JsonObject(send("GET", "/status").body());
    assertEquals(new JsonObject().put("lock", "leader/ledger").put("entries", 2).put("rejections", 1)
        .put("highestToken", 43), status);
  }

  @Test
  void malformedWritesGet400WithAReason() throws Exception {
    HttpResponse<String> noToken = send("POST", "/append?writer=worker-1&seq=1");
    assertEquals(400, noToken.statusCode());
    assertEquals("token must be a number, got ''", new JsonObject(noToken.body()).getString("error"));
    HttpResponse<String> zero = send("POST", "/append?writer=worker-1&token=0&seq=1");
    assertEquals(400, zero.statusCode());
    assertTrue(zero.body().contains("positive fencing token"), zero.body());
    assertEquals(400, send("POST", "/append?writer=bad%20name&token=5&seq=1").statusCode());
    assertEquals(405, send("GET", "/append?writer=w&token=5&seq=1").statusCode());
    assertEquals(404, send("GET", "/nothing").statusCode());
    assertEquals(0, new JsonArray(send("GET", "/entries").body()).size());
  }
}
