package io.pledge.chaos;

import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bank transfers from {@code clients} lanes, each a Pledge transaction: debit (or credit) an account at bank-a,
 * then the opposite at bank-b, always in that order (so two transfers never wait for each other's locks in a
 * cycle). A careful client rolls back when a call fails; a careless one ignores the failure and commits anyway,
 * as a client with a bug or a swallowed exception would: atomicity must not rest on the client.
 *
 * <p>Every transfer that began is recorded with what the client was told ({@link Transfer}). Nothing blocks. Each
 * lane says what it is waiting for, so a transfer that never ends (a liveness failure: every call has a deadline)
 * is reported with the call it is stuck in rather than hang the run.
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
  private final Map<Integer, Waiting> waiting = new ConcurrentHashMap<>();
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

  /** What a lane waits for: {@code call}, made at {@code sinceNanos} for {@code transfer} (null before Begin). */
  record Waiting(Transfer transfer, String call, long sinceNanos) {}

  public void start() {
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < settings.clients(); i++) {
      boolean careless = i * 100 < settings.carelessPercent() * settings.clients();
      lanes.add(lane(i, careless));
    }
    running = Future.join(lanes).mapEmpty();
  }

  /**
   * Stops starting transfers and waits for those in flight. Those still waiting after {@code timeout} are recorded
   * with an UNKNOWN outcome (the audit checks them like any unanswered commit) and returned, each with the call it
   * was stuck in: a liveness violation, since every call has a deadline.
   */
  public List<String> stop(Duration timeout) throws InterruptedException {
    stopping = true;
    try {
      running.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      return List.of();
    } catch (TimeoutException e) {
      long now = System.nanoTime();
      List<String> stuck = new ArrayList<>();
      waiting.forEach((lane, w) -> {
        Transfer t = w.transfer();
        stuck.add("lane " + lane + " got no answer to " + w.call() + (t == null ? "" : " of " + t.txId())
            + " in " + Duration.ofNanos(now - w.sinceNanos()).toSeconds() + " s");
        if (t != null) {
          history.add(new Transfer(t.txId(), t.fromA(), t.accountA(), t.accountB(), t.amount(), t.careless(),
              Transfer.Told.UNKNOWN, "no answer to " + w.call(), t.startedNanos(), now));
        }
      });
      return stuck;
    }
  }

  public List<Transfer> history() {
    return List.copyOf(history);
  }

  /**
   * One lane: transfers one after another until stopped. Each next transfer starts from a fresh stack and completes
   * the lane's one promise at the end: chaining each transfer's future onto the next would nest one future per
   * transfer, and completing thousands of them at the stop overflows the stack (seed 41's long run).
   */
  private Future<Void> lane(int lane, boolean careless) {
    Promise<Void> done = Promise.promise();
    next(lane, careless, done);
    return done.future();
  }

  private void next(int lane, boolean careless, Promise<Void> done) {
    if (stopping) {
      done.complete();
      return;
    }
    transfer(lane, careless).onComplete(ar -> {
      waiting.remove(lane);
      if (ar.failed()) {
        LOG.warn("transfer lane error", ar.cause());
      }
      // A short breath after anything but a commit keeps a lane from spinning while a server is down.
      if (ar.succeeded() && ar.result()) {
        vertx.runOnContext(v -> next(lane, careless, done));
      } else {
        vertx.setTimer(100, t -> next(lane, careless, done));
      }
    });
  }

  /** Notes what {@code lane} waits for next, then runs it. */
  private <T> Future<T> waitFor(int lane, Transfer transfer, String call,
      java.util.function.Supplier<Future<T>> next) {
    waiting.put(lane, new Waiting(transfer, call, System.nanoTime()));
    return next.get();
  }

  /** Completes with true when the transfer was told COMMITTED. */
  private Future<Boolean> transfer(int lane, boolean careless) {
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
    return waitFor(lane, null, "Begin", () -> client.begin(settings.txTimeout(),
            Map.of("chaos", careless ? "careless" : "careful")))
        .transform(begun -> {
          if (begun.failed()) {
            // Nothing began (or the id never reached us): no transfer to account for. Wait a little.
            return Future.succeededFuture(false);
          }
          String txId = begun.result();
          Transfer pending = new Transfer(txId, fromA, accountA, accountB, amount, careless, Transfer.Told.UNKNOWN,
              "", started, 0);
          Future<Void> work = call(lane, pending, ChaosCluster.BANK_A, fromA ? "/debit" : "/credit", accountA,
              amount)
              .transform(a -> a.failed() && !careless ? Future.<Void>failedFuture(a.cause())
                  : call(lane, pending, ChaosCluster.BANK_B, fromA ? "/credit" : "/debit", accountB, amount)
                      .transform(b -> a.failed() ? Future.<Void>failedFuture(a.cause())
                          : b.failed() ? Future.<Void>failedFuture(b.cause()) : Future.<Void>succeededFuture()));
          return work.transform(w -> {
            if (w.failed() && !careless) {
              return waitFor(lane, pending, "Rollback", () -> client.rollback(txId)).transform(rb -> record(pending,
                  rb.succeeded() ? Transfer.Told.ABORTED : Transfer.Told.UNKNOWN,
                  "work failed: " + w.cause().getMessage()));
            }
            return waitFor(lane, pending, "Commit", () -> client.commit(txId)).transform(c -> record(pending,
                c.failed() ? Transfer.Told.UNKNOWN
                    : c.result().committed() ? Transfer.Told.COMMITTED : Transfer.Told.ABORTED,
                c.failed() ? c.cause().getMessage() : detail(c.result())));
          });
        });
  }

  private static String detail(TxOutcome outcome) {
    return outcome.committed() ? "" : outcome.cause() + " " + outcome.detail();
  }

  private Future<Boolean> record(Transfer pending, Transfer.Told told, String detail) {
    Transfer t = pending;
    history.add(new Transfer(t.txId(), t.fromA(), t.accountA(), t.accountB(), t.amount(), t.careless(), told, detail,
        t.startedNanos(), System.nanoTime()));
    return Future.succeededFuture(told == Transfer.Told.COMMITTED);
  }

  /**
   * A call to a bank under the transaction, made through the SDK ({@link TransactionClient#call}) as an application
   * would: a failure marks the transaction rollback-only, so even a careless client's commit cannot move half the
   * money.
   */
  private Future<Void> call(int lane, Transfer pending, String bank, String path, int account, long amount) {
    String txId = pending.txId();
    String what = bank + " POST " + path;
    return waitFor(lane, pending, what,
        () -> client.call(txId, what, call -> send(call, bank, path, account, amount)));
  }

  /** On the SDK's short path: the bank's answer names its participant, and the client's Commit carries it. */
  private Future<Void> send(TransactionClient.TxCall call, String bank, String path, int account, long amount) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(cluster.httpPort(bank))
        .setURI(path + "?account=" + account + "&amount=" + amount).setTimeout(5_000);
    call.headers().forEach(request::putHeader);
    return http.request(request).compose(req -> req.send()).compose(resp -> {
      call.answered(resp.headers());
      return resp.body().compose(body -> resp.statusCode() == 200 ? Future.<Void>succeededFuture()
          : Future.<Void>failedFuture(new IllegalStateException(bank + " answered " + resp.statusCode() + ": "
              + body.toString().strip())));
    });
  }

  public void close() {
    client.close();
    http.close();
  }
}
