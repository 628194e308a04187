package io.pledge.participant.it;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.pledge.participant.xa.XaPool;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.xa.PGXADataSource;

/**
 * A bank service for the crash tests, run as a child JVM: a database of accounts (an H2 file, or PostgreSQL given
 * {@code bank.jdbc-url}) joined to Pledge through the XA adapter and its connection pool. HTTP API:
 * {@code POST /add?account=N&amount=M} and {@code GET /read?account=N} (read-only work) with the
 * {@code pledge-tx-id} header, and {@code GET /status}.
 *
 * <p>Crash points for the tests, which kill the process ({@code kill -9}) when the line appears:
 * {@code bank.crash-at=after-db-prepare} (the database prepared, the vote not sent), {@code before-phase2} (the
 * yes vote counted, the outcome not arrived) and {@code after-db-commit} (the database committed, the ack not
 * sent), each the {@code bank.crash-after}-th time it is reached; the call then never completes and the line
 * {@code CRASH-POINT <point> <tx>} is printed. With {@code bank.stall-phase2=true} every phase-2 call stalls
 * ({@code STALLED commit|rollback <tx>}).
 */
public final class BankParticipantMain {

  static final ConfigKey<Integer> HTTP_PORT = ConfigKey.integer("bank.http.port", 0, "HTTP port of the bank API");
  static final ConfigKey<Boolean> STALL = ConfigKey.bool("bank.stall-phase2", false, "never finish phase 2");
  static final ConfigKey<String> CRASH_AT = ConfigKey.string("bank.crash-at", "none",
      "none, after-db-prepare, before-phase2 or after-db-commit");
  static final ConfigKey<Integer> CRASH_AFTER = ConfigKey.integer("bank.crash-after", 1, "crash at the Nth time");
  static final ConfigKey<Integer> ACCOUNTS = ConfigKey.integer("bank.accounts", 10, "accounts created at first start");
  static final ConfigKey<Integer> INITIAL = ConfigKey.integer("bank.initial", 1000, "initial balance of each");
  static final ConfigKey<String> PARTICIPANT_ID =
      ConfigKey.string("bank.participant-id", "bank", "participant id (distinct per bank)");
  static final ConfigKey<String> JDBC_URL = ConfigKey.string("bank.jdbc-url", "", "PostgreSQL URL (empty: H2 file)");
  static final ConfigKey<String> JDBC_USER = ConfigKey.string("bank.jdbc-user", "postgres", "database user");
  static final ConfigKey<String> JDBC_PASSWORD = ConfigKey.string("bank.jdbc-password", "postgres", "its password");
  static final ConfigKey<Integer> THREADS = ConfigKey.integer("bank.threads", 16, "XA work threads");
  static final ConfigKey<Integer> POOL = ConfigKey.integer("bank.pool-size", 32, "XA connection pool size");
  static final ConfigKey<Boolean> DURABLE_PREPARE = ConfigKey.bool("bank.durable-prepare", true,
      "false: hide the XA adapter's durable prepare, so the endpoint forces its PREPARED record (as before issue 16)");

  private BankParticipantMain() {}

  public static void main(String[] args) throws Exception {
    List<ConfigKey<?>> keys = new ArrayList<>(ParticipantOptions.KEYS);
    keys.addAll(List.of(HTTP_PORT, STALL, CRASH_AT, CRASH_AFTER, ACCOUNTS, INITIAL, PARTICIPANT_ID, JDBC_URL,
        JDBC_USER, JDBC_PASSWORD, THREADS, POOL, DURABLE_PREPARE));
    Config config = Config.load(keys, args, System.getenv());
    ParticipantOptions options = ParticipantOptions.from(config);
    String participant = config.get(PARTICIPANT_ID);
    boolean postgres = !config.get(JDBC_URL).isBlank();
    String url = postgres ? config.get(JDBC_URL)
        : "jdbc:h2:file:" + options.dataDir().resolve("bank").toAbsolutePath() + ";WRITE_DELAY=0";
    String user = postgres ? config.get(JDBC_USER) : "sa";
    String password = postgres ? config.get(JDBC_PASSWORD) : "";
    createAccounts(url, user, password, config.get(ACCOUNTS), config.get(INITIAL));

    Vertx vertx = Vertx.vertx();
    XaPool pool = XaPool.create(new XaPool.Settings(postgres ? PGXADataSource.class : JdbcDataSource.class, url,
        user, password, config.get(POOL), Duration.ofSeconds(10), Map.of()));
    XaResourceManager xa = XaResourceManager.create(vertx, pool, participant, config.get(THREADS));
    boolean durable = config.get(DURABLE_PREPARE);
    ResourceManager resource = config.get(STALL) ? new Stalling(xa, durable)
        : new CrashPoint(xa, config.get(CRASH_AT), config.get(CRASH_AFTER), durable);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ParticipantNode node = ParticipantNode.builder(vertx, options).resource(participant, resource).registry(registry)
        .start()
        .toCompletionStage().toCompletableFuture().get();
    Bank bank = new Bank(vertx, node, xa, url, user, password, participant, registry);
    int httpPort = vertx.createHttpServer()
        .requestHandler(bank::handle)
        .listen(config.get(HTTP_PORT), "127.0.0.1").toCompletionStage().toCompletableFuture().get().actualPort();
    System.out.println("BANK READY grpc=" + node.port() + " http=" + httpPort);
    System.out.flush();
  }

  private static void createAccounts(String url, String user, String password, int accounts, int initial)
      throws Exception {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS account (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM account")) {
        rs.next();
        if (rs.getInt(1) == 0) {
          for (int i = 0; i < accounts; i++) {
            s.execute("INSERT INTO account VALUES (" + i + ", " + initial + ")");
          }
        }
      }
    }
  }

  private record Bank(Vertx vertx, ParticipantNode node, XaResourceManager xa, String url, String user,
      String password, String participant, SimpleMeterRegistry registry) {

    void handle(HttpServerRequest req) {
      if (req.path().equals("/status")) {
        status(req);
        return;
      }
      Optional<String> txId = TxPropagation.txId(req);
      if (!(req.path().equals("/add") || req.path().equals("/read")) || txId.isEmpty()) {
        req.response().setStatusCode(400).end("POST /add?account=N&amount=M or GET /read?account=N, with header "
            + TxPropagation.HEADER);
        return;
      }
      int account = Integer.parseInt(req.getParam("account"));
      boolean read = req.path().equals("/read");
      long amount = read ? 0 : Long.parseLong(req.getParam("amount"));
      node.join(participant, txId.get())
          .compose(v -> xa.work(txId.get(), c -> {
            if (read) {
              try (var s = c.prepareStatement("SELECT balance FROM account WHERE id = ?")) {
                s.setInt(1, account);
                try (ResultSet rs = s.executeQuery()) {
                  return rs.next() ? rs.getLong(1) : -1L;
                }
              }
            }
            try (var s = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
              s.setLong(1, amount);
              s.setInt(2, account);
              return (long) s.executeUpdate();
            }
          }))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              req.response().end(String.valueOf(ar.result()));
            } else {
              // The SQL stays in the log; the caller learns what happened to its request, not the statement.
              System.out.println("WORK FAILED " + txId.get() + ": " + ar.cause().getMessage());
              req.response().setStatusCode(409).end("the bank could not do this work for the transaction");
            }
          });
    }

    private void status(HttpServerRequest req) {
      Future.all(xa.recover(), vertx.executeBlocking(this::total)).onComplete(ar -> {
        if (ar.failed()) {
          req.response().setStatusCode(500).end(String.valueOf(ar.cause().getMessage()));
          return;
        }
        Set<String> prepared = ar.result().resultAt(0);
        JsonObject balances = ar.result().resultAt(1);
        Timer prepare = registry.get("pledge.participant.prepare.latency").timer();
        // Device syncs of the participant log: forced PREPARED (and one-phase COMMITTING) records.
        double logSyncs = registry.get("pledge.log.syncs").tag("log", "participant").counter().count();
        node.liveBranches().onComplete(live -> req.response().end(new JsonObject()
            .put("inDoubt", node.inDoubt()).put("xaPrepared", prepared.size())
            .put("total", balances.getLong("total")).put("balances", balances.getJsonObject("balances"))
            .put("openBranches", xa.openBranches()).put("liveBranches", live.succeeded() ? live.result() : -1)
            .put("connectionsOpened", xa.connectionsOpened())
            .put("prepares", prepare.count()).put("participantLogSyncs", (long) logSyncs)
            .put("prepareMeanMs", prepare.mean(TimeUnit.MILLISECONDS)).encode()));
      });
    }

    private JsonObject total() throws Exception {
      try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, balance FROM account ORDER BY id")) {
        long total = 0;
        JsonObject balances = new JsonObject();
        while (rs.next()) {
          balances.put(String.valueOf(rs.getInt(1)), rs.getLong(2));
          total += rs.getLong(2);
        }
        return new JsonObject().put("total", total).put("balances", balances);
      }
    }
  }

  /** Delegates, except at the configured crash point: there it prints the line and never completes the call. */
  private static final class CrashPoint implements ResourceManager {
    private final ResourceManager delegate;
    private final String point;
    private final int after;
    private final AtomicInteger reached = new AtomicInteger();
    private final boolean durable;

    CrashPoint(ResourceManager delegate, String point, int after, boolean durable) {
      this.delegate = delegate;
      this.durable = durable;
      this.point = point;
      this.after = after;
    }

    private boolean hit(String here) {
      return point.equals(here) && reached.incrementAndGet() == after;
    }

    private <T> Future<T> crash(String here, String txId) {
      System.out.println("CRASH-POINT " + here + " " + txId);
      System.out.flush();
      return Promise.<T>promise().future();
    }

    @Override
    public Future<Vote> prepare(String txId) {
      return delegate.prepare(txId).compose(vote -> {
        System.out.println("PREPARED " + txId + " " + vote.kind());
        return vote.kind() == Vote.Kind.YES && hit("after-db-prepare") ? crash("after-db-prepare", txId)
            : Future.succeededFuture(vote);
      });
    }

    @Override
    public Future<Void> commit(String txId) {
      if (hit("before-phase2")) {
        return crash("before-phase2", txId);
      }
      return delegate.commit(txId).compose(v -> hit("after-db-commit") ? crash("after-db-commit", txId)
          : Future.succeededFuture());
    }

    @Override
    public Future<Void> rollback(String txId) {
      return delegate.rollback(txId);
    }

    @Override
    public Future<Set<String>> recover() {
      return delegate.recover();
    }

    @Override
    public Future<Void> startupCheck() {
      return delegate.startupCheck();
    }

    @Override
    public boolean durablePrepare() {
      return delegate.durablePrepare() && durable;
    }
  }

  /** Prepares normally, then never finishes phase 2: the window a crash test kills in. */
  private static final class Stalling implements ResourceManager {
    private final ResourceManager delegate;
    private final boolean durable;

    Stalling(ResourceManager delegate, boolean durable) {
      this.delegate = delegate;
      this.durable = durable;
    }

    @Override
    public Future<Vote> prepare(String txId) {
      return delegate.prepare(txId).andThen(ar -> System.out.println("PREPARED " + txId + " " + ar.result()));
    }

    @Override
    public Future<Void> commit(String txId) {
      System.out.println("STALLED commit " + txId);
      return Promise.<Void>promise().future();
    }

    @Override
    public Future<Void> rollback(String txId) {
      System.out.println("STALLED rollback " + txId);
      return Promise.<Void>promise().future();
    }

    @Override
    public Future<Set<String>> recover() {
      return delegate.recover();
    }

    @Override
    public Future<Void> startupCheck() {
      return delegate.startupCheck();
    }

    @Override
    public boolean durablePrepare() {
      return delegate.durablePrepare() && durable;
    }
  }
}
