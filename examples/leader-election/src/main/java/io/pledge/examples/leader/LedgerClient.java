package io.pledge.examples.leader;

import io.pledge.common.grpc.Endpoint;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A worker's blocking client of the ledger's {@code POST /append} (plain threads only). */
final class LedgerClient {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Endpoint ledger;

  LedgerClient(Endpoint ledger) {
    this.ledger = ledger;
  }

  /**
   * @throws IOException when the ledger cannot be reached or answers something else than 200 or 409
   */
  AppendResult append(Write w) throws IOException, InterruptedException {
    URI uri = URI.create("http://" + ledger + "/append?writer=" + w.writer() + "&token=" + w.token() + "&seq="
        + w.seq());
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    JsonObject body;
    try {
      body = new JsonObject(r.body());
    } catch (RuntimeException e) {
      throw new IOException("ledger answered " + r.statusCode() + " with a body that is not JSON: " + r.body());
    }
    return switch (r.statusCode()) {
      case 200 -> new AppendResult.Accepted(new Entry(body.getLong("index"), body.getString("writer"),
          body.getLong("token"), body.getLong("seq"), body.getLong("writtenAtMs")));
      case 409 -> new AppendResult.Stale(body.getLong("token"), body.getLong("highest"));
      default -> throw new IOException("ledger answered " + r.statusCode() + ": " + body.getString("error"));
    };
  }
}
