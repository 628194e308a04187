package io.pledge.chaos;

import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bank transfers from {@code clients} lanes, each a Pledge transaction: debit (or credit) an account at bank-a,
 * then the opposite at bank-b, always in that order (so two transfers never wait for each other's locks in a
 * cycle). A careful client rolls back when a call fails; a careless one ignores the failure and commits anyway,
 * as a client with a bug or a swallowed exception would: atomicity must not rest on the client.
 *
 * <p>Every transfer that began is recorded with what the client was told ({@link Transfer}). Nothing blocks.
 */
public final class Workload {

  private static final Logger LOG = LoggerFactory.getLogger(Workload.class);

  private final Vertx vertx;
  private final TransactionClient client;
  private final HttpClient http;
  private final ChaosCluster cluster;
  private final ChaosSettings settings;
  private final Random random;
  private final ConcurrentLinkedQueue<Transfer> history = new ConcurrentLinkedQueue<>();
  private volatile boolean stopping;
  private Future<Void> running;

  public Workload(Vertx vertx, ChaosCluster cluster, ChaosSettings settings) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.settings = settings;
    this.random = new Random(settings.seed() * 31 + 7);
    this.client = TransactionClient.create(vertx, cluster.coordinatorEndpoint(), Duration.ofSeconds(10));
    this.http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(settings.clients()));
  }

  public void start() {
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < settings.clients(); i++) {
      boolean careless = i * 100 < settings.carelessPercent() * settings.clients();
      lanes.add(lane(careless));
    }
    running = Future.join(lanes).mapEmpty();
  }

  /** Stops starting transfers and waits for those in flight. */
  public void stop(Duration timeout) throws Exception {
    stopping = true;
    running.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public List<Transfer> history() {
    return List.copyOf(history);
  }

  private Future<Void> lane(boolean careless) {
    if (stopping) {
      return Future.succeededFuture();
    }
    return transfer(careless).transform(ar -> {
      if (ar.failed()) {
        LOG.warn("transfer lane error", ar.cause());
      }
      // A short breath after anything but a commit keeps a lane from spinning while a server is down.
      return ar.succeeded() && ar.result() ? lane(careless) : vertx.timer(100).compose(t -> lane(careless));
    });
  }

  /** Completes with true when the transfer was told COMMITTED. */
  private Future<Boolean> transfer(boolean careless) {
    boolean fromA;
    int accountA;
    int accountB;
    long amount;
    synchronized (random) {
      fromA = random.nextBoolean();
      accountA = random.nextInt(settings.accounts());
      accountB = random.nextInt(settings.accounts());
      amount = 1 + random.nextInt(1000);
    }
    long started = System.nanoTime();
    return client.begin(settings.txTimeout(), Map.of("chaos", careless ? "careless" : "careful"))
        .transform(begun -> {
          if (begun.failed()) {
            // Nothing began (or the id never reached us): no transfer to account for. Wait a little.
            return Future.succeededFuture(false);
          }
          String txId = begun.result();
          Future<Void> work = call(txId, ChaosCluster.BANK_A, fromA ? "/debit" : "/credit", accountA, amount)
              .transform(a -> a.failed() && !careless ? Future.<Void>failedFuture(a.cause())
                  : call(txId, ChaosCluster.BANK_B, fromA ? "/credit" : "/debit", accountB, amount)
                      .transform(b -> a.failed() ? Future.<Void>failedFuture(a.cause())
                          : b.failed() ? Future.<Void>failedFuture(b.cause()) : Future.<Void>succeededFuture()));
          return work.transform(w -> {
            if (w.failed() && !careless) {
              return client.rollback(txId).transform(rb -> record(txId, fromA, accountA, accountB, amount, false,
                  rb.succeeded() ? Transfer.Told.ABORTED : Transfer.Told.UNKNOWN,
                  "work failed: " + w.cause().getMessage(), started));
            }
            return client.commit(txId).transform(c -> record(txId, fromA, accountA, accountB, amount, careless,
                c.failed() ? Transfer.Told.UNKNOWN : c.result().committed() ? Transfer.Told.COMMITTED
                    : Transfer.Told.ABORTED, c.failed() ? c.cause().getMessage() : detail(c.result()), started));
          });
        });
  }

  private static String detail(TxOutcome outcome) {
    return outcome.committed() ? "" : outcome.cause() + " " + outcome.detail();
  }

  private Future<Boolean> record(String txId, boolean fromA, int accountA, int accountB, long amount,
      boolean careless, Transfer.Told told, String detail, long started) {
    history.add(new Transfer(txId, fromA, accountA, accountB, amount, careless, told, detail, started,
        System.nanoTime()));
    return Future.succeededFuture(told == Transfer.Told.COMMITTED);
  }

  /**
   * A call to a bank under the transaction, made through the SDK ({@link TransactionClient#call}) as an application
   * would: a failure marks the transaction rollback-only, so even a careless client's commit cannot move half the
   * money.
   */
  private Future<Void> call(String txId, String bank, String path, int account, long amount) {
    return client.call(txId, bank + " POST " + path, () -> send(txId, bank, path, account, amount));
  }

  private Future<Void> send(String txId, String bank, String path, int account, long amount) {
    RequestOptions request = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(cluster.httpPort(bank))
        .setURI(path + "?account=" + account + "&amount=" + amount).setTimeout(5_000), txId);
    return http.request(request).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.<Void>failedFuture(new IllegalStateException(bank + " answered " + resp.statusCode() + ": "
                + body.toString().strip()))));
  }

  public void close() {
    client.close();
    http.close();
  }
}
