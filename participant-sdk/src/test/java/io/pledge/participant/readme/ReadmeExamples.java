package io.pledge.participant.readme;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.spi.LeaseCheck;
import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.pledge.participant.xa.XaPool;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.XADataSource;
import org.postgresql.xa.PGXADataSource;

/**
 * The code of participant-sdk/README.md, verbatim between the {@code // README:name} markers, so that the README's
 * examples compile; {@link ReadmeExamplesTest} runs them and checks that the README still contains them.
 */
final class ReadmeExamples {

  private ReadmeExamples() {}

  // README:client
  static Future<TxResult<Void>> transfer(Vertx vertx, HttpClient http, String coordinator) {
    TransactionClient client = TransactionClient.create(vertx, Endpoint.parse(coordinator));
    // Begins, runs the work, commits if it succeeded and rolls back if it failed; the result says which.
    return client.inTransaction(txId -> post(http, 8081, "/debit?account=7&amount=10", txId)
        .compose(v -> post(http, 8082, "/credit?account=9&amount=10", txId)));
  }

  static Future<Void> post(HttpClient http, int port, String uri, String txId) {
    // The transaction id travels in one header, pledge-tx-id (TxPropagation.HEADER).
    RequestOptions request = TxPropagation.attach(
        new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(uri), txId);
    return http.request(request).compose(req -> req.send()).compose(resp -> resp.statusCode() == 200
        ? Future.<Void>succeededFuture()
        : Future.failedFuture(new IllegalStateException("HTTP " + resp.statusCode())));
  }
  // README:end

  // README:xa
  static Future<ParticipantNode> startParticipant(Vertx vertx, Config config, XADataSource accountsDb,
      XaResourceManager[] accountsOut) {
    XaResourceManager accounts = XaResourceManager.create(vertx, accountsDb, "accounts-db", 16);
    accountsOut[0] = accounts;
    return ParticipantNode.builder(vertx, ParticipantOptions.from(config))
        .resource("accounts-db", accounts) // the participant id: stable across restarts
        .start(); // opens the log, listens, resolves branches left in doubt by the last run
  }

  static void debit(ParticipantNode node, XaResourceManager accounts, HttpServerRequest request) {
    String txId = TxPropagation.txId(request).orElseThrow();
    node.join("accounts-db", txId) // enlists with the coordinator the first time, once per transaction
        .compose(v -> accounts.work(txId, connection -> { // JDBC on a worker, inside the XA branch
          try (var update = connection.prepareStatement(
              "UPDATE account SET balance = balance - ? WHERE id = ? AND balance >= ?")) {
            long amount = Long.parseLong(request.getParam("amount"));
            update.setLong(1, amount);
            update.setInt(2, Integer.parseInt(request.getParam("account")));
            update.setLong(3, amount);
            return update.executeUpdate();
          }
        }))
        .onSuccess(rows -> request.response().setStatusCode(rows == 1 ? 200 : 409).end())
        .onFailure(e -> request.response().setStatusCode(409).end(e.getMessage()));
  }
  // README:end

  // README:postgres
  static XaResourceManager accountsOnPostgres(Vertx vertx, String password) {
    XaPool pool = XaPool.create(new XaPool.Settings(PGXADataSource.class, "jdbc:postgresql://db:5432/bank",
        "bank_app", password, 32, Duration.ofSeconds(10), Map.of()));
    return XaResourceManager.create(vertx, pool, "accounts-db", 16); // 16 work threads
  }
  // README:end

  // README:spi
  /** A resource of your own: here, reservations kept in memory (not durable: for illustration only). */
  static final class Reservations implements ResourceManager {
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();

    void reserve(String txId) {
      pending.add(txId);
    }

    @Override
    public Future<Vote> prepare(String txId) {
      return Future.succeededFuture(pending.contains(txId) ? Vote.yes() : Vote.readOnly());
    }

    @Override
    public Future<Void> commit(String txId) {
      if (pending.remove(txId)) {
        confirmed.add(txId);
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> rollback(String txId) {
      pending.remove(txId);
      return Future.succeededFuture();
    }

    boolean isConfirmed(String txId) {
      return confirmed.contains(txId);
    }
  }

  static Future<ParticipantNode> startWithLocks(Vertx vertx, ParticipantOptions options, Reservations reservations,
      Set<String> transactionsThatLostALease) {
    // The lock hook: a lost lease makes prepare vote no. The SDK never releases locks; the coordinator does.
    LeaseCheck leases = txId -> Future.succeededFuture(transactionsThatLostALease.contains(txId)
        ? Optional.of("lease expired") : Optional.empty());
    return ParticipantNode.builder(vertx, options).resource("reservations", reservations).leases(leases).start();
  }
  // README:end
}
