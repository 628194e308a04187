package io.pledge.examples.leader;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * The ledger's HTTP API (plain Vert.x, JSON answers):
 * <ul>
 *   <li>{@code POST /append?writer=worker-2&token=T&seq=N}: 200 {@code {"index":17,...}}; 409 when the token is
 *       stale ({@code {"error":..., "token":T, "highest":H}}); 400 for a malformed write;</li>
 *   <li>{@code GET /entries}, {@code GET /rejections}: the log and the refused writes, oldest first;</li>
 *   <li>{@code GET /status}: the lock, counts and the highest accepted token.</li>
 * </ul>
 */
public final class LedgerServer {

  public static final String READY_BANNER = "LEDGER READY";

  private final Ledger ledger;
  private final HttpServer http;

  private LedgerServer(Ledger ledger, HttpServer http) {
    this.ledger = ledger;
    this.http = http;
  }

  /**
   * Opens the ledger and listens.
   *
   * @param onRejected told of every stale write (its {@link Rejection#line()} is what to print)
   */
  public static Future<LedgerServer> start(Vertx vertx, LedgerOptions options, Consumer<Rejection> onRejected) {
    return Ledger.open(vertx, options.dataDir(), options.lock(), onRejected)
        .compose(ledger -> vertx.createHttpServer().requestHandler(req -> handle(ledger, req))
            .listen(options.port(), options.host())
            .map(http -> new LedgerServer(ledger, http))
            .recover(e -> ledger.close().transform(ar -> Future.failedFuture(e))));
  }

  public Ledger ledger() {
    return ledger;
  }

  public int port() {
    return http.actualPort();
  }

  public Future<Void> close() {
    return http.close().eventually(ledger::close);
  }

  private static void handle(Ledger ledger, HttpServerRequest req) {
    switch (req.path()) {
      case "/append" -> append(ledger, req);
      case "/entries" -> ledger.entries().onComplete(ar -> reply(req, ar.map(list -> new JsonArray(
          list.stream().map(LedgerServer::json).toList()))));
      case "/rejections" -> ledger.rejections().onComplete(ar -> reply(req, ar.map(list -> new JsonArray(
          list.stream().map(LedgerServer::json).toList()))));
      case "/status" -> Future.all(ledger.entries(), ledger.rejections()).onComplete(ar -> reply(req, ar.map(all ->
          new JsonObject().put("lock", ledger.lock()).put("entries", all.<java.util.List<?>>resultAt(0).size())
              .put("rejections", all.<java.util.List<?>>resultAt(1).size())
              .put("highestToken", ledger.highestToken()))));
      default -> error(req, 404, "POST /append?writer=W&token=T&seq=N, GET /entries, GET /rejections, GET /status");
    }
  }

  private static void append(Ledger ledger, HttpServerRequest req) {
    if (req.method() != HttpMethod.POST) {
      error(req, 405, "use POST /append?writer=W&token=T&seq=N");
      return;
    }
    Write write;
    try {
      write = new Write(req.getParam("writer", ""), number(req, "token"), number(req, "seq"));
    } catch (IllegalArgumentException e) {
      error(req, 400, e.getMessage());
      return;
    }
    ledger.append(write).onComplete(ar -> {
      if (ar.failed()) {
        error(req, 500, String.valueOf(ar.cause().getMessage()));
      } else if (ar.result() instanceof AppendResult.Accepted a) {
        send(req, 200, json(a.entry()));
      } else if (ar.result() instanceof AppendResult.Stale s) {
        send(req, 409, new JsonObject().put("error", "stale fencing token " + s.token() + ": the ledger has accepted "
            + s.highest() + " from a newer leader").put("token", s.token()).put("highest", s.highest()));
      }
    });
  }

  private static long number(HttpServerRequest req, String name) {
    String text = req.getParam(name, "");
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, got '" + text + "'");
    }
  }

  static JsonObject json(Entry e) {
    return new JsonObject().put("index", e.index()).put("writer", e.writer()).put("token", e.token())
        .put("seq", e.seq()).put("writtenAtMs", e.writtenAtMs());
  }

  static JsonObject json(Rejection r) {
    return new JsonObject().put("writer", r.writer()).put("token", r.token()).put("seq", r.seq())
        .put("highest", r.highest()).put("atMs", r.atMs());
  }

  private static void reply(HttpServerRequest req, io.vertx.core.AsyncResult<?> ar) {
    if (ar.failed()) {
      error(req, 500, String.valueOf(ar.cause().getMessage()));
    } else {
      req.response().setStatusCode(200).putHeader("content-type", "application/json")
          .end(ar.result() instanceof JsonArray a ? a.encode() : ((JsonObject) ar.result()).encode());
    }
  }

  private static void error(HttpServerRequest req, int status, String message) {
    send(req, status, new JsonObject().put("error", message));
  }

  private static void send(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}
