package io.pledge.participant.it;

import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TransactionFinishedException;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Concurrent transfers between two banks, each recorded with the outcome the client was told (COMMITTED, ABORTED,
 * or UNKNOWN when a call failed), and the check the issue asks for: every account equals its initial balance plus
 * exactly the committed transfers (so every COMMITTED transfer is applied in both databases, no aborted one in
 * either, and the total is unchanged). One in five moves money within one bank and only reads at the other, whose
 * branch is then read-only.
 */
final class TransferLoad {

  enum Outcome { COMMITTED, ABORTED, UNKNOWN }

  static final class Transfer {
    final String txId;
    final BankProcess debit;
    final int from;
    final BankProcess credit;
    final int to;
    final long amount;
    volatile Outcome outcome = Outcome.UNKNOWN;

    Transfer(String txId, BankProcess debit, int from, BankProcess credit, int to, long amount) {
      this.txId = txId;
      this.debit = debit;
      this.from = from;
      this.credit = credit;
      this.to = to;
      this.amount = amount;
    }
  }

  private final Vertx vertx;
  private final TransactionClient client;
  private final HttpClient http;
  private final BankProcess left;
  private final BankProcess right;
  private final int accounts;
  private final Duration txTimeout;
  private final Duration callTimeout;
  private final ConcurrentLinkedQueue<Transfer> transfers = new ConcurrentLinkedQueue<>();
  /** Committed transfers as {end nanoTime, begin-to-commit latency in nanos}. */
  private final ConcurrentLinkedQueue<long[]> commits = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<Future<Void>> lanes = new ArrayList<>();

  TransferLoad(Vertx vertx, TransactionClient client, BankProcess left, BankProcess right, int accounts,
      Duration txTimeout, Duration callTimeout) {
    this.vertx = vertx;
    this.client = client;
    this.left = left;
    this.right = right;
    this.accounts = accounts;
    this.txTimeout = txTimeout;
    this.callTimeout = callTimeout;
    this.http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(128));
  }

  /** Starts {@code n} lanes, each running one transfer after another until {@link #stop}. */
  void start(int n) {
    running.set(true);
    for (int i = 0; i < n; i++) {
      lanes.add(lane());
    }
  }

  void stop() throws Exception {
    running.set(false);
    Future.join(new ArrayList<>(lanes)).await(120, TimeUnit.SECONDS);
    lanes.clear();
  }

  /**
   * One transfer after another, each started from the previous one's callback (not chained into one future, which
   * would grow with every transfer); after a transfer that did not commit (a bank down), a short pause instead of
   * a busy loop of failing transactions.
   */
  private Future<Void> lane() {
    Promise<Void> done = Promise.promise();
    next(done);
    return done.future();
  }

  private void next(Promise<Void> done) {
    if (!running.get()) {
      done.complete();
      return;
    }
    transfer().onComplete(ar -> {
      if (ar.succeeded() && ar.result() == Outcome.COMMITTED) {
        next(done);
      } else {
        vertx.setTimer(50, id -> next(done));
      }
    });
  }

  /** Committed transfers per second and the p99 of their latency (ms), between two {@code System.nanoTime()}s. */
  double[] throughputAndP99(long from, long to) {
    long[] latencies = commits.stream().filter(c -> c[0] >= from && c[0] < to).mapToLong(c -> c[1]).sorted()
        .toArray();
    double perSecond = latencies.length / ((to - from) / 1e9);
    double p99 = latencies.length == 0 ? 0
        : latencies[Math.min(latencies.length - 1, (int) Math.ceil(latencies.length * 0.99) - 1)] / 1e6;
    return new double[] {perSecond, p99};
  }

  long count(Outcome outcome) {
    return transfers.stream().filter(t -> t.outcome == outcome).count();
  }

  int size() {
    return transfers.size();
  }

  private Future<Outcome> transfer() {
    Random random = ThreadLocalRandom.current();
    boolean leftToRight = random.nextBoolean();
    // One in five moves money within one bank and only reads at the other: that bank's branch is read-only.
    boolean withinOneBank = random.nextInt(5) == 0;
    BankProcess debit = leftToRight ? left : right;
    BankProcess other = leftToRight ? right : left;
    BankProcess credit = withinOneBank ? debit : other;
    int from = random.nextInt(accounts);
    int to = random.nextInt(accounts);
    long amount = 1 + random.nextInt(50);
    Transfer[] made = new Transfer[1];
    long began = System.nanoTime();
    return client.begin(txTimeout, Map.of()).compose(txId -> {
      Transfer t = new Transfer(txId, debit, from, credit, to, amount);
      transfers.add(t);
      made[0] = t;
      // join, not all: both legs finish (succeed or fail) before the transfer commits or rolls back.
      Future<Void> legs = Future.join(call(debit, "/add?account=" + from + "&amount=" + -amount, txId),
          call(credit, "/add?account=" + to + "&amount=" + amount, txId)).mapEmpty();
      if (withinOneBank) {
        legs = legs.compose(v -> call(other, "/read?account=" + to, txId));
      }
      return legs.transform(ar -> ar.succeeded()
          ? client.commit(txId).transform(c -> {
              if (c.succeeded()) {
                t.outcome = c.result().committed() ? Outcome.COMMITTED : Outcome.ABORTED;
                if (t.outcome == Outcome.COMMITTED) {
                  long now = System.nanoTime();
                  commits.add(new long[] {now, now - began});
                }
              }
              return Future.<Void>succeededFuture();
            })
          : client.rollback(txId).transform(r -> {
              if (r.succeeded() && !r.result().committed()) {
                t.outcome = Outcome.ABORTED;
              }
              return Future.<Void>succeededFuture();
            }));
    }).transform(ar -> Future.succeededFuture(made[0] == null ? Outcome.UNKNOWN : made[0].outcome));
  }

  private Future<Void> call(BankProcess bank, String uri, String txId) {
    RequestOptions options = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(bank.httpPort()).setURI(uri).setTimeout(callTimeout.toMillis()), txId);
    return http.request(options).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException(resp.statusCode() + " " + body))));
  }

  /**
   * Learns the outcome of every transfer the client could not learn, from the coordinator, without ever making
   * one commit: Rollback answers ABORTED for an aborted (or still open, now aborted) transaction, and refuses one
   * that committed.
   */
  void resolveUnknown() throws Exception {
    for (Transfer t : transfers) {
      if (t.outcome != Outcome.UNKNOWN) {
        continue;
      }
      try {
        TxOutcome o = client.rollback(t.txId).await(30, TimeUnit.SECONDS);
        t.outcome = o.committed() ? Outcome.COMMITTED : Outcome.ABORTED;
      } catch (TransactionFinishedException e) {
        if (!String.valueOf(e.getMessage()).contains("COMMIT")) {
          throw new AssertionError("cannot tell the outcome of " + t.txId + ": " + e.getMessage(), e);
        }
        t.outcome = Outcome.COMMITTED;
      }
    }
  }

  /** Each bank's expected balances: the initial one plus every committed transfer's legs there. */
  Map<BankProcess, Map<Integer, Long>> expected(long initial, int accountsPerBank) {
    Map<BankProcess, Map<Integer, Long>> expected = new HashMap<>();
    for (BankProcess bank : List.of(left, right)) {
      Map<Integer, Long> balances = new HashMap<>();
      for (int i = 0; i < accountsPerBank; i++) {
        balances.put(i, initial);
      }
      expected.put(bank, balances);
    }
    for (Transfer t : transfers) {
      if (t.outcome == Outcome.COMMITTED) {
        expected.get(t.debit).merge(t.from, -t.amount, Long::sum);
        expected.get(t.credit).merge(t.to, t.amount, Long::sum);
      }
    }
    return expected;
  }

  static Map<Integer, Long> balances(JsonObject status) {
    Map<Integer, Long> balances = new HashMap<>();
    status.getJsonObject("balances").forEach(e -> balances.put(Integer.parseInt(e.getKey()),
        ((Number) e.getValue()).longValue()));
    return balances;
  }
}
