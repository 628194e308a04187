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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.h2.jdbcx.JdbcDataSource;

/**
 * A bank service for the crash tests, run as a child JVM: an H2 file database of accounts joined to Pledge through
 * the XA adapter. HTTP API: {@code POST /add?account=N&amount=M} with the {@code pledge-tx-id} header, and
 * {@code GET /status} (in-doubt count, XA branches still prepared, the committed total).
 *
 * <p>With {@code bank.stall-phase2=true} the resource never finishes a phase-2 commit or rollback (it prints
 * {@code STALLED}), which is how a test kills it after its yes vote and before the outcome reaches it.
 */
public final class BankParticipantMain {

  static final ConfigKey<Integer> HTTP_PORT = ConfigKey.integer("bank.http.port", 0, "HTTP port of the bank API");
  static final ConfigKey<Boolean> STALL = ConfigKey.bool("bank.stall-phase2", false, "never finish phase 2");
  static final ConfigKey<Integer> ACCOUNTS = ConfigKey.integer("bank.accounts", 10, "accounts created at first start");
  static final ConfigKey<Integer> INITIAL = ConfigKey.integer("bank.initial", 1000, "initial balance of each");
  static final ConfigKey<String> PARTICIPANT_ID =
      ConfigKey.string("bank.participant-id", "bank", "participant id (distinct per bank)");

  private BankParticipantMain() {}

  public static void main(String[] args) throws Exception {
    List<ConfigKey<?>> keys = new ArrayList<>(ParticipantOptions.KEYS);
    keys.addAll(List.of(HTTP_PORT, STALL, ACCOUNTS, INITIAL, PARTICIPANT_ID));
    Config config = Config.load(keys, args, System.getenv());
    ParticipantOptions options = ParticipantOptions.from(config);
    String participant = config.get(PARTICIPANT_ID);
    String url = "jdbc:h2:file:" + options.dataDir().resolve("bank").toAbsolutePath() + ";WRITE_DELAY=0";
    createAccounts(url, config.get(ACCOUNTS), config.get(INITIAL));

    Vertx vertx = Vertx.vertx();
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL(url);
    ds.setUser("sa");
    ds.setPassword("");
    XaResourceManager xa = XaResourceManager.create(vertx, ds, participant, 16);
    ResourceManager resource = config.get(STALL) ? new Stalling(xa) : xa;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ParticipantNode node = ParticipantNode.builder(vertx, options).resource(participant, resource).registry(registry)
        .start()
        .toCompletionStage().toCompletableFuture().get();
    int httpPort = vertx.createHttpServer()
        .requestHandler(req -> handle(vertx, req, node, xa, url, participant, registry))
        .listen(config.get(HTTP_PORT), "127.0.0.1").toCompletionStage().toCompletableFuture().get().actualPort();
    System.out.println("BANK READY grpc=" + node.port() + " http=" + httpPort);
    System.out.flush();
  }

  private static void createAccounts(String url, int accounts, int initial) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
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

  private static void handle(Vertx vertx, HttpServerRequest req, ParticipantNode node, XaResourceManager xa,
      String url, String participant, SimpleMeterRegistry registry) {
    if (req.path().equals("/status")) {
      Future.all(xa.recover(), vertx.executeBlocking(() -> total(url))).onComplete(ar -> {
        if (ar.failed()) {
          req.response().setStatusCode(500).end(String.valueOf(ar.cause().getMessage()));
          return;
        }
        Set<String> prepared = ar.result().resultAt(0);
        long total = ar.result().resultAt(1);
        Timer prepare = registry.get("pledge.participant.prepare.latency").timer();
        req.response().end(new JsonObject().put("inDoubt", node.inDoubt()).put("xaPrepared", prepared.size())
            .put("total", total).put("prepares", prepare.count())
            .put("prepareMeanMs", prepare.mean(TimeUnit.MILLISECONDS)).encode());
      });
      return;
    }
    Optional<String> txId = TxPropagation.txId(req);
    if (!req.path().equals("/add") || txId.isEmpty()) {
      req.response().setStatusCode(400).end("POST /add?account=N&amount=M with header " + TxPropagation.HEADER);
      return;
    }
    int account = Integer.parseInt(req.getParam("account"));
    long amount = Long.parseLong(req.getParam("amount"));
    node.join(participant, txId.get())
        .compose(v -> xa.work(txId.get(), c -> {
          try (var s = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
            s.setLong(1, amount);
            s.setInt(2, account);
            return s.executeUpdate();
          }
        }))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            req.response().end("ok");
          } else {
            req.response().setStatusCode(409).end(String.valueOf(ar.cause().getMessage()));
          }
        });
  }

  private static long total(String url) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT SUM(balance) FROM account")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Prepares normally, then never finishes phase 2: the window a crash test kills in. */
  private static final class Stalling implements ResourceManager {
    private final ResourceManager delegate;

    Stalling(ResourceManager delegate) {
      this.delegate = delegate;
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
  }
}
