package io.pledge.examples.bank;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.tls.TlsOptions;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One transfer between two running {@link BankService}s, as one Pledge transaction: for trying the services by
 * hand. Prints {@code COMMITTED tx=...} or {@code ABORTED tx=... cause=...}; exits 0 only when committed.
 */
public final class TransferMain {

  static final ConfigKey<String> COORDINATOR = ConfigKey.string("coordinator.endpoint", "127.0.0.1:7400",
      "the coordinator's gRPC endpoint, or a coordinator cluster's members (comma-separated): the leader is found");
  static final ConfigKey<String> FROM = ConfigKey.string("from", "127.0.0.1:8081", "HTTP host:port of the bank paying");
  static final ConfigKey<Integer> FROM_ACCOUNT = ConfigKey.integer("from.account", 0, "account debited");
  static final ConfigKey<String> TO = ConfigKey.string("to", "127.0.0.1:8082", "HTTP host:port of the bank receiving");
  static final ConfigKey<Integer> TO_ACCOUNT = ConfigKey.integer("to.account", 0, "account credited");
  static final ConfigKey<Integer> AMOUNT = ConfigKey.integer("amount", 100, "amount moved");
  /** Its own keys, then TLS's: with tls.* set, the transfer runs as the certificate's identity (role client). */
  static final List<ConfigKey<?>> KEYS = Stream.concat(
      Stream.of(COORDINATOR, FROM, FROM_ACCOUNT, TO, TO_ACCOUNT, AMOUNT), TlsOptions.KEYS.stream()).toList();

  private TransferMain() {}

  public static void main(String[] args) throws Exception {
    Optional<Config> parsed = Cli.parse("transfer", "Moves money between two bank services in one transaction.",
        KEYS, args, System.getenv(), System.out, System.err);
    if (parsed.isEmpty()) {
      System.exit(Cli.exitCode(args));
      return;
    }
    Config c = parsed.get();
    Vertx vertx = Vertx.vertx();
    int exit;
    HttpClientOptions transport = TlsOptions.from(c).map(t -> t.applyTo(new HttpClientOptions()))
        .orElseGet(HttpClientOptions::new);
    try (TransactionClient client = TransactionClient.create(vertx, LeaderEndpoints.parseList(c.get(COORDINATOR)),
        TransactionClient.DEFAULT_CALL_TIMEOUT, transport, java.util.Map.of())) {
      HttpClient http = vertx.createHttpClient();
      TxResult<Void> result = client.inTransaction(tx ->
          post(http, Endpoint.parse(c.get(FROM)), "/debit", c.get(FROM_ACCOUNT), c.get(AMOUNT), tx)
              .compose(v -> post(http, Endpoint.parse(c.get(TO)), "/credit", c.get(TO_ACCOUNT), c.get(AMOUNT), tx)))
          .await(60, TimeUnit.SECONDS);
      if (result.committed()) {
        System.out.println("COMMITTED tx=" + result.outcome().txId());
        exit = 0;
      } else {
        System.out.println("ABORTED tx=" + result.outcome().txId() + " cause=" + result.outcome().cause() + " "
            + result.workFailure().map(Throwable::getMessage).orElse(result.outcome().detail()));
        exit = 1;
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }

  private static Future<Void> post(HttpClient http, Endpoint bank, String path, int account, long amount,
      String txId) {
    RequestOptions request = TxPropagation.attach(new RequestOptions().setMethod(HttpMethod.POST)
        .setHost(bank.host()).setPort(bank.port()).setURI(path + "?account=" + account + "&amount=" + amount)
        .setTimeout(10_000), txId);
    return http.request(request).compose(req -> req.send()).compose(resp -> resp.body().compose(body ->
        resp.statusCode() == 200 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException(bank + path + ": " + resp.statusCode() + " "
                + body.toString().strip()))));
  }
}
