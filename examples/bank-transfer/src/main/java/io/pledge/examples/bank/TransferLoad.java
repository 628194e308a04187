package io.pledge.examples.bank;

import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxResult;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Random transfers between two banks, {@code concurrency} at a time, each a Pledge transaction: debit one account
 * in one bank, credit one in the other. Every call returns a future; nothing blocks.
 *
 * <p>Both banks are always called in the same order (bank A, then bank B) whichever way the money goes, so two
 * transfers never wait for each other's account locks in a cycle.
 */
final class TransferLoad {

  private static final Logger LOG = LoggerFactory.getLogger(TransferLoad.class);

  /** Thrown when a bank answers other than 200: the transfer's work failed and it rolls back. */
  static final class Refused extends RuntimeException {
    final int status;

    Refused(String bank, int status, String body) {
      super(bank + " answered " + status + ": " + body.strip());
      this.status = status;
    }
  }

  private final TransactionClient client;
  private final HttpClient http;
  private final BankProcess bankA;
  private final BankProcess bankB;
  private final int accounts;
  private final long overdraftAmount;
  private final int overdraftPercent;
  private final TransferStats stats;
  private volatile boolean stopping;

  TransferLoad(TransactionClient client, HttpClient http, BankProcess bankA, BankProcess bankB, DemoOptions options,
      TransferStats stats) {
    this.client = client;
    this.http = http;
    this.bankA = bankA;
    this.bankB = bankB;
    this.accounts = options.accounts();
    // More than a whole bank holds: always refused.
    this.overdraftAmount = 2L * options.accounts() * options.initialBalance() + 1;
    this.overdraftPercent = options.overdraftPercent();
    this.stats = stats;
  }

  /** Starts the lanes; the future completes when {@link #stop()} was called and every transfer has finished. */
  Future<Void> run(int concurrency) {
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      lanes.add(lane());
    }
    return Future.join(lanes).mapEmpty();
  }

  void stop() {
    stopping = true;
  }

  private Future<Void> lane() {
    if (stopping) {
      return Future.succeededFuture();
    }
    return transfer().transform(ar -> lane());
  }

  private Future<Void> transfer() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    boolean aToB = random.nextBoolean();
    int accountA = random.nextInt(accounts);
    int accountB = random.nextInt(accounts);
    boolean overdraft = random.nextInt(100) < overdraftPercent;
    long amount = overdraft ? overdraftAmount : 1 + random.nextInt(100);
    long started = System.nanoTime();
    if (overdraft && random.nextBoolean()) {
      return carelessOverdraft(aToB, accountA, accountB, amount, started);
    }
    Future<TxResult<Void>> tx = client.inTransaction(txId ->
        call(bankA, aToB ? "/debit" : "/credit", accountA, amount, txId)
            .compose(v -> call(bankB, aToB ? "/credit" : "/debit", accountB, amount, txId)));
    return tx.transform(ar -> {
      long micros = (System.nanoTime() - started) / 1_000;
      if (ar.failed()) {
        LOG.atWarn().log("outcome unknown (coordinator unreachable or slow): {}", ar.cause().getMessage());
        stats.outcomeUnknown();
      } else if (ar.result().committed()) {
        stats.committed(micros);
      } else {
        Throwable why = ar.result().workFailure().orElse(null);
        LOG.atDebug().addKeyValue("txId", ar.result().outcome().txId())
            .log("aborted: {} {}", ar.result().outcome().detail(), why == null ? "" : why.getMessage());
        if (why instanceof Refused r && r.status == 409) {
          stats.refused();
        } else if (why != null) {
          stats.bankUnreachable();
        } else {
          stats.votedNo();
        }
      }
      return Future.<Void>succeededFuture();
    });
  }

  /**
   * A careless client: it ignores the refusal and commits. The failed call made the transfer rollback-only in the
   * client SDK (its commit rolls back and answers ABORTED), and the refusing bank's branch is rollback-only too (its
   * prepare would vote no): atomicity does not rest on the client.
   */
  private Future<Void> carelessOverdraft(boolean aToB, int accountA, int accountB, long amount, long started) {
    return client.begin()
        .compose(txId -> call(bankA, aToB ? "/debit" : "/credit", accountA, amount, txId)
            .transform(ar -> call(bankB, aToB ? "/credit" : "/debit", accountB, amount, txId))
            .transform(ar -> client.commit(txId)))
        .transform(ar -> {
          if (ar.failed()) {
            LOG.atWarn().log("outcome unknown (coordinator unreachable or slow): {}", ar.cause().getMessage());
            stats.outcomeUnknown();
          } else if (ar.result().committed()) {
            // Cannot happen unless atomicity broke: the invariant check at the end would fail too.
            LOG.atError().addKeyValue("txId", ar.result().txId()).log("an overdraft committed");
            stats.committed((System.nanoTime() - started) / 1_000);
          } else {
            LOG.atDebug().addKeyValue("txId", ar.result().txId()).log("careless commit aborted: {} {}",
                ar.result().cause(), ar.result().detail());
            stats.votedNo();
          }
          return Future.<Void>succeededFuture();
        });
  }

  /**
   * Through the client SDK ({@link TransactionClient#call}): a call that fails (refused, timed out, bank down) marks
   * the transfer rollback-only, so even the careless client's commit cannot move half the money. (A timed-out call
   * to a slow bank whose enlistment had not reached the coordinator yet let a careless commit credit one bank alone.)
   */
  private Future<Void> call(BankProcess bank, String path, int account, long amount, String txId) {
    return client.call(txId, bank.name() + " POST " + path, call -> send(bank, path, account, amount, call));
  }

  /**
   * On the SDK's short path: the request carries the SDK's headers, and the answer's (the bank names its
   * participant in pledge-enlisted) go back to the SDK, whose Commit carries them: no Enlist, no Begin.
   */
  private Future<Void> send(BankProcess bank, String path, int account, long amount, TransactionClient.TxCall call) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST)
        .setHost("127.0.0.1").setPort(bank.httpPort()).setURI(path + "?account=" + account + "&amount=" + amount)
        .setTimeout(5_000);
    call.headers().forEach(request::putHeader);
    return http.request(request).compose(req -> req.send()).compose(resp -> {
      call.answered(resp.headers());
      return resp.body().compose(body -> resp.statusCode() == 200 ? Future.<Void>succeededFuture()
          : Future.failedFuture(new Refused(bank.name(), resp.statusCode(), body.toString())));
    });
  }
}
