package io.pledge.examples.bank;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pledge.common.config.Cli;
import io.pledge.common.ops.OpsServer;
import io.pledge.common.ops.ServerMain;
import io.pledge.lock.client.LockClient;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.locks.TransactionLocks;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bank: a database ({@code --db}: an H2 file, an embedded PostgreSQL, or a PostgreSQL URL) with an
 * {@code account(id, balance)} table, joined to Pledge transactions through
 * the XA adapter, locking accounts through the lock service with the transaction id as owner.
 *
 * <p>HTTP API (the transaction id in the {@code pledge-tx-id} header):
 * <ul>
 *   <li>{@code POST /debit?account=N&amount=M}: 200, or 409 when the balance is short (the caller rolls back);</li>
 *   <li>{@code POST /credit?account=N&amount=M}: 200;</li>
 *   <li>{@code GET /status}: the committed total, branches in doubt in the participant log, XA branches still
 *       prepared in the database;</li>
 *   <li>{@code GET /accounts}: every account's committed balance, as a JSON object {@code {"0": 1000, ...}};</li>
 *   <li>{@code GET /metrics} (Prometheus: the participant's metrics), {@code /health/live}, {@code /health/ready}.</li>
 * </ul>
 * Unknown accounts answer 404, malformed requests 400. Lock timeouts and deadlocks answer 409 as well: the
 * transaction cannot go on, and the client rolls it back. A refusal also marks the bank's branch rollback-only, so
 * a client that commits anyway is answered ABORTED (this bank votes no) instead of moving half the money.
 */
public final class BankService {

  public static final String READY_BANNER = "BANK READY";

  private static final Logger LOG = LoggerFactory.getLogger(BankService.class);

  private final Vertx vertx;
  private final BankOptions options;
  private final Accounts accounts;
  private final XaResourceManager xa;
  private final LockClient lockClient;
  private final TransactionLocks locks;
  private final ParticipantNode node;
  private final Handler<HttpServerRequest> ops;
  private final HttpServer http;
  private final BankDatabase database;

  private BankService(Vertx vertx, BankOptions options, Accounts accounts, XaResourceManager xa, LockClient lockClient,
      TransactionLocks locks, ParticipantNode node, Handler<HttpServerRequest> ops, HttpServer http,
      BankDatabase database) {
    this.database = database;
    this.vertx = vertx;
    this.options = options;
    this.accounts = accounts;
    this.xa = xa;
    this.lockClient = lockClient;
    this.locks = locks;
    this.node = node;
    this.ops = ops;
    this.http = http;
  }

  /** Creates the database if needed, opens the participant (resolving branches left in doubt) and listens. */
  public static Future<BankService> start(Vertx vertx, BankOptions options) {
    return vertx.executeBlocking(() -> {
      BankDatabase database = BankDatabase.open(options);
      try {
        new Accounts(database.url, database.user, database.password).create(options.accounts(),
            options.initialBalance());
      } catch (Exception e) {
        database.close();
        throw e;
      }
      return database;
    }).compose(database -> {
      Accounts accounts = new Accounts(database.url, database.user, database.password);
      XaResourceManager xa = XaResourceManager.create(vertx, database.pool(options.dbPoolSize()), options.name(), 16);
      // The bank's certificate (when tls.* is set) is its identity to the lock service and the coordinator.
      LockClient lockClient = LockClient.create(vertx, options.lockService(), options.tls());
      TransactionLocks locks = new TransactionLocks(lockClient, options.lockLease());
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      return ParticipantNode.builder(vertx, options.participant()).resource(options.name(), xa).leases(locks)
          .registry(registry).tls(options.tls()).policy(options.policy())
          .start()
          .compose(node -> {
            // Serving at all means ready: the participant resolved its in-doubt branches before start completed.
            Handler<HttpServerRequest> ops = OpsServer.handler(vertx, "bank-service", registry, () -> true);
            BankService[] self = new BankService[1];
            return vertx.createHttpServer().requestHandler(req -> self[0].handle(req))
                .listen(options.httpPort(), options.httpHost())
                .map(http -> self[0] = new BankService(vertx, options, accounts, xa, lockClient, locks, node, ops,
                    http, database));
          })
          .onFailure(e -> {
            lockClient.close();
            xa.close();
            database.close();
          });
    });
  }

  public int httpPort() {
    return http.actualPort();
  }

  public int participantPort() {
    return node.port();
  }

  public Future<Void> close() {
    return http.close().eventually(node::close).andThen(ar -> {
      lockClient.close();
      xa.close();
      database.close();
    });
  }

  private void handle(HttpServerRequest req) {
    switch (req.path()) {
      case "/status" -> status(req);
      case "/accounts" -> balances(req);
      case "/debit" -> move(req, true);
      case "/credit" -> move(req, false);
      default -> {
        if (OpsServer.serves(req.path())) {
          ops.handle(req);
        } else {
          req.response().setStatusCode(404)
              .end("POST /debit, POST /credit, GET /status, GET /accounts, GET /metrics, GET /health\n");
        }
      }
    }
  }

  private void move(HttpServerRequest req, boolean debit) {
    Optional<String> txId = TxPropagation.txId(req);
    int account;
    long amount;
    try {
      account = Integer.parseInt(req.getParam("account", ""));
      amount = Long.parseLong(req.getParam("amount", ""));
    } catch (NumberFormatException e) {
      req.response().setStatusCode(400).end("account and amount must be numbers\n");
      return;
    }
    if (req.method() != HttpMethod.POST || txId.isEmpty() || amount <= 0) {
      req.response().setStatusCode(400)
          .end("POST " + req.path() + "?account=N&amount=M (M > 0) with header " + TxPropagation.HEADER + "\n");
      return;
    }
    String tx = txId.get();
    String lock = options.name() + "/account/" + account;
    // On the short path (the client's SDK asked for it) this joins without calling the coordinator and names the
    // bank's participant in the answer's pledge-enlisted header, which the client's Commit carries.
    TxPropagation.join(node, options.name(), req)
        .compose(v -> locks.exclusive(tx, lock, options.lockWait())
            .compose(handle -> xa.work(tx, c -> debit ? accounts.debit(c, account, amount)
                : accounts.credit(c, account, amount)))
            // Joined, then refused: this bank's part of the transfer did not happen, so the transfer must not
            // commit, whatever the client does next (a careless client that commits gets ABORTED, voted no).
            .onFailure(e -> xa.setRollbackOnly(tx, options.name() + " refused: "
                + refusal(e, options.name(), account))))
        .onSuccess(v -> {
          LOG.atDebug().addKeyValue("txId", tx).addKeyValue("account", account).addKeyValue("amount", amount)
              .log(debit ? "debited" : "credited");
          req.response().end("ok\n");
        })
        .onFailure(e -> {
          int status = e instanceof Accounts.UnknownAccount ? 404 : 409;
          LOG.atInfo().addKeyValue("txId", tx).addKeyValue("account", account).addKeyValue("amount", amount)
              .log("{} refused: {}", debit ? "debit" : "credit", e.getMessage());
          req.response().setStatusCode(status).end(refusal(e, options.name(), account) + "\n");
        });
  }

  /**
   * What the client is told: the bank's own reasons as they are, anything else as what it means for the caller,
   * never the database's raw words (SQL, constraint names, internals); those are in the bank's log.
   */
  static String refusal(Throwable e, String bank, int account) {
    if (e instanceof Accounts.UnknownAccount || e instanceof Accounts.InsufficientFunds) {
      return e.getMessage();
    }
    if (e instanceof io.pledge.lock.client.LockException) {
      return "account " + account + " is locked by another transaction; try again";
    }
    if (e instanceof java.sql.SQLException sql && (sql.getErrorCode() == org.h2.api.ErrorCode.LOCK_TIMEOUT_1
        || sql.getErrorCode() == org.h2.api.ErrorCode.DEADLOCK_1 || "40P01".equals(sql.getSQLState())
        || "55P03".equals(sql.getSQLState()))) {
      return "account " + account + " is busy with another transaction; try again";
    }
    if (e instanceof java.sql.SQLException || e instanceof io.pledge.participant.xa.XaResourceException) {
      return bank + " could not apply this change (a database error; its log has the details)";
    }
    if (e instanceof io.pledge.participant.endpoint.impl.BranchEngine.RejectedCall) {
      return e.getMessage();
    }
    if (e instanceof io.pledge.common.grpc.RpcException) {
      return "cannot join the transaction at the coordinator: " + e.getMessage();
    }
    return bank + " could not do this now; its log has the details";
  }

  private void status(HttpServerRequest req) {
    Future<Set<String>> prepared = xa.recover();
    Future<Long> total = vertx.executeBlocking(accounts::total);
    Future.all(prepared, total).onComplete(ar -> {
      if (ar.failed()) {
        req.response().setStatusCode(500).end(String.valueOf(ar.cause().getMessage()));
        return;
      }
      req.response().putHeader("content-type", "application/json").end(new JsonObject()
          .put("bank", options.name()).put("total", total.result()).put("inDoubt", node.inDoubt())
          .put("xaPrepared", prepared.result().size()).put("openBranches", xa.openBranches())
          .put("lockedTransactions", locks.transactions()).encode());
    });
  }

  private void balances(HttpServerRequest req) {
    vertx.executeBlocking(accounts::balances).onComplete(ar -> {
      if (ar.failed()) {
        LOG.atWarn().setCause(ar.cause()).log("reading the balances failed");
        req.response().setStatusCode(500).end("cannot read the balances now; see the bank's log\n");
        return;
      }
      JsonObject body = new JsonObject();
      ar.result().forEach((id, balance) -> body.put(String.valueOf(id), balance));
      req.response().putHeader("content-type", "application/json").end(body.encode());
    });
  }

  public static void main(String[] args) throws Exception {
    BankOptions options = Cli.optionsOrExit("bank-service", "A Pledge example bank: accounts in H2 or PostgreSQL, joined to Pledge"
        + " transactions through XA, locked through the lock service.", BankOptions.KEYS, args, BankOptions::from);
    ServerMain.run("bank-service", vertx -> start(vertx, options), BankService::close,
        bank -> READY_BANNER + " bank=" + options.name() + " http=" + bank.httpPort() + " participant="
            + bank.participantPort());
  }
}
