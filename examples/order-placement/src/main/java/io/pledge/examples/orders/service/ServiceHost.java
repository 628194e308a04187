package io.pledge.examples.orders.service;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.durable.H2Recovery;
import io.pledge.common.grpc.RpcException;
import io.pledge.common.ops.OpsServer;
import io.pledge.common.ops.ServerMain;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.xa.SqlWork;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.h2.api.ErrorCode;
import org.h2.jdbcx.JdbcDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Domain} as a service: its H2 file database joined to Pledge transactions through the XA adapter
 * ({@link XaResourceManager}, marked rollback-only on a refusal: {@link RollbackOnlyResource}), the participant
 * endpoint ({@link ParticipantNode}), and a small HTTP API:
 * <ul>
 *   <li>{@code POST <workPath>?...} with the {@code pledge-tx-id} header: joins the transaction and does the
 *       domain's work in its XA branch; 200 with a JSON body, or the refusal's status (409, 404) with
 *       {@code {"error": CODE, "message": ...}}; 400 for a malformed request (no branch is touched);</li>
 *   <li>{@code GET /state}: the committed rows, and {@code inDoubt} (participant log), {@code xaPrepared}
 *       (database), {@code openBranches}, {@code rollbackOnly}.</li>
 * </ul>
 */
public final class ServiceHost {

  public static final String READY_BANNER = "SERVICE READY";
  static final String USER = "sa";

  private static final Logger LOG = LoggerFactory.getLogger(ServiceHost.class);

  private final Vertx vertx;
  private final Domain domain;
  private final String url;
  private final XaResourceManager xa;
  private final RollbackOnlyResource resource;
  /** The participant's metrics, served at {@code /metrics} next to the API, with {@code /health}. */
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private ParticipantNode node;
  private Handler<HttpServerRequest> ops;
  private HttpServer http;

  private ServiceHost(Vertx vertx, Domain domain, String url, XaResourceManager xa) {
    this.vertx = vertx;
    this.domain = domain;
    this.url = url;
    this.xa = xa;
    this.resource = new RollbackOnlyResource(xa);
  }

  /** Creates (or reopens) the database, opens the participant (resolving branches left in doubt) and listens. */
  public static Future<ServiceHost> start(Vertx vertx, ServiceOptions options, Domain domain) {
    // WRITE_DELAY=0: a prepared XA branch reaches the file before the yes vote leaves (survives kill -9).
    // LOCK_TIMEOUT: an order waits for the row another order holds until that one's phase 2, not H2's 1 s.
    String url = "jdbc:h2:file:" + options.participant().dataDir().resolve(domain.name()).toAbsolutePath()
        + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
    JdbcDataSource dataSource = new JdbcDataSource();
    dataSource.setURL(url);
    dataSource.setUser(USER);
    dataSource.setPassword("");
    return vertx.executeBlocking(() -> {
      // Before H2 opens it: H2's quick crash recovery may reopen an older version (see H2Recovery).
      H2Recovery.recover(options.participant().dataDir().resolve(domain.name()));
      try (Connection c = DriverManager.getConnection(url, USER, "")) {
        domain.create(c);
      }
      return null;
    }).compose(v -> {
      ServiceHost host = new ServiceHost(vertx, domain, url,
          XaResourceManager.create(vertx, dataSource, domain.name(), options.xaThreads()));
      return ParticipantNode.builder(vertx, options.participant()).resource(domain.name(), host.resource)
          .registry(host.registry).start()
          .compose(node -> {
            host.node = node;
            // Serving at all means ready: the participant resolved its in-doubt branches before start completed.
            host.ops = OpsServer.handler(vertx, domain.name(), host.registry, () -> true);
            return vertx.createHttpServer().requestHandler(host::handle)
                .listen(options.httpPort(), options.httpHost());
          })
          .map(http -> {
            host.http = http;
            return host;
          })
          .onFailure(e -> {
            if (host.node != null) {
              host.node.close();
            }
            host.xa.close();
          });
    });
  }

  public String name() {
    return domain.name();
  }

  public int httpPort() {
    return http.actualPort();
  }

  public int participantPort() {
    return node.port();
  }

  public Future<Void> close() {
    return http.close().eventually(node::close).andThen(ar -> xa.close());
  }

  private void handle(HttpServerRequest req) {
    if (req.path().equals(domain.workPath())) {
      if (req.method() == HttpMethod.POST) {
        work(req);
      } else {
        error(req, 405, "METHOD_NOT_ALLOWED", "use POST " + domain.workPath());
      }
    } else if (req.path().equals("/state")) {
      state(req);
    } else if (OpsServer.serves(req.path())) {
      ops.handle(req);
    } else {
      error(req, 404, "NOT_FOUND", "POST " + domain.workPath() + ", GET /state, GET /metrics, GET /health");
    }
  }

  private void work(HttpServerRequest req) {
    String tx;
    SqlWork<JsonObject> work;
    try {
      tx = TxPropagation.txId(req).orElseThrow(() -> new IllegalArgumentException("header "
          + TxPropagation.HEADER + " is missing: " + domain.name() + " works only inside a Pledge transaction"));
      work = domain.work(new Params(req.params()));
    } catch (IllegalArgumentException e) {
      error(req, 400, "BAD_REQUEST", e.getMessage());
      return;
    }
    // Either path: Enlist, or (a client on the SDK's short path) no call and the participant named in the answer.
    TxPropagation.join(node, domain.name(), req).onComplete(joined -> {
      if (joined.failed()) {
        // Not part of the transaction (unknown, finished, coordinator down): nothing was done, nothing to mark.
        boolean down = joined.cause() instanceof RpcException e && e.status() == GrpcStatus.UNAVAILABLE;
        error(req, down ? 503 : 409, "NOT_IN_TRANSACTION", "cannot join transaction " + tx + ": "
            + joined.cause().getMessage());
        return;
      }
      xa.work(tx, work)
          .onSuccess(body -> {
            LOG.atDebug().addKeyValue("txId", tx).addKeyValue("work", body.encode()).log("done");
            req.response().putHeader("content-type", "application/json").end(body.encode());
          })
          .onFailure(e -> {
            Refusal refusal = asRefusal(e);
            resource.markRollbackOnly(tx, domain.name() + " refused: " + refusal.code() + ": " + refusal.getMessage());
            LOG.atInfo().addKeyValue("txId", tx).addKeyValue("error", refusal.code())
                .log("refused, branch marked rollback-only: {}", refusal.getMessage());
            error(req, refusal.httpStatus(), refusal.code(), refusal.getMessage());
          });
    });
  }

  /** A refusal as it is; H2's lock timeout is a busy row; anything else is a fault, reported as 500. */
  private static Refusal asRefusal(Throwable e) {
    if (e instanceof Refusal r) {
      return r;
    }
    if (e instanceof SQLException sql && (sql.getErrorCode() == ErrorCode.LOCK_TIMEOUT_1
        || sql.getErrorCode() == ErrorCode.DEADLOCK_1)) {
      return Refusal.conflict(Refusal.BUSY, "another order holds the row: " + sql.getMessage());
    }
    return Refusal.fault(String.valueOf(e.getMessage()));
  }

  private void state(HttpServerRequest req) {
    Future<Set<String>> prepared = xa.recover();
    Future<JsonObject> rows = vertx.executeBlocking(() -> {
      try (Connection c = DriverManager.getConnection(url, USER, "")) {
        return domain.state(c);
      }
    });
    Future.all(prepared, rows).onComplete(ar -> {
      if (ar.failed()) {
        error(req, 500, "INTERNAL", String.valueOf(ar.cause().getMessage()));
        return;
      }
      JsonObject body = rows.result().copy().put("service", domain.name()).put("inDoubt", node.inDoubt())
          .put("xaPrepared", prepared.result().size()).put("openBranches", xa.openBranches())
          .put("rollbackOnly", resource.marked());
      req.response().putHeader("content-type", "application/json").end(body.encode());
    });
  }

  private static void error(HttpServerRequest req, int status, String code, String message) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", code).put("message", message).encode());
  }

  /** What a service starts with, read from the command line. */
  private record Startup(ServiceOptions options, Domain domain) {}

  /**
   * A service's {@code main}: settings from flags, {@code PLEDGE_*} variables or a file; the domain built from them;
   * then {@link ServerMain} (ready line {@value #READY_BANNER} {@code service=... http=... participant=...}).
   */
  public static void main(String program, String summary, List<ConfigKey<?>> keys, ConfigKey<Integer> httpPort,
      String[] args, Function<Config, Domain> domainOf) {
    Startup startup = Cli.optionsOrExit(program, summary, keys, args,
        config -> new Startup(ServiceOptions.from(config, httpPort), domainOf.apply(config)));
    ServerMain.run(program, vertx -> start(vertx, startup.options(), startup.domain()), ServiceHost::close,
        host -> READY_BANNER + " service=" + host.name() + " http=" + host.httpPort() + " participant="
            + host.participantPort());
  }
}
