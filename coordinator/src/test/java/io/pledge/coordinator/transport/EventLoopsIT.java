package io.pledge.coordinator.transport;

import static io.pledge.testkit.TestParticipant.BranchState.COMMITTED;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.coordinator.protocol.SequenceSpace;
import io.pledge.coordinator.state.TxId;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator on four event loops over real gRPC (issue 16): concurrent two-participant commits through several
 * client connections all commit, their ids spread over every manager, and every call naming one (Enlist, Commit,
 * GetTransaction, GetOutcome, ListTransactions) reaches its manager. Restarted with another number of loops, the
 * routing changes and recovery follows it: a decided transaction whose phase 2 had not got through is finished,
 * and every outcome is still known.
 */
class EventLoopsIT {

  @TempDir
  Path dir;

  Vertx vertx;
  CoordinatorServer coordinator;
  TestParticipant a;
  TestParticipant b;
  List<CoordinatorTestClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    coordinator = startCoordinator(4);
    a = TestParticipant.start(vertx, "bank-a");
    b = TestParticipant.start(vertx, "bank-b");
    for (int i = 0; i < 4; i++) {
      clients.add(new CoordinatorTestClient(vertx, coordinator.grpcPort()));
    }
  }

  CoordinatorServer startCoordinator(int eventLoops) {
    return Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of("grpc.port", "0",
        "http.port", "0", "data.dir", dir.resolve("coordinator").toString(), "participant.retry-base", "20ms",
        "participant.retry-cap", "200ms", "participant.call-timeout", "1s",
        "server.event-loops", Integer.toString(eventLoops)))));
  }

  @AfterEach
  void stop() {
    clients.forEach(CoordinatorTestClient::close);
    a.close();
    b.close();
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  /** A two-participant transaction on {@code client}, committed; completes with its id. */
  Future<String> transfer(CoordinatorTestClient client) {
    return client.beginAsync(0, Map.of()).compose(tx -> client.enlistAsync(tx, a.id(), a.endpoint())
        .compose(x -> client.enlistAsync(tx, b.id(), b.endpoint()))
        .compose(x -> client.commitAsync(tx))
        .compose(r -> r.getOutcome() == Outcome.OUTCOME_COMMITTED ? Future.succeededFuture(tx)
            : Future.failedFuture(new AssertionError(tx + " " + r.getOutcome() + ": " + r.getAbortReason()))));
  }

  @Test
  void concurrentCommitsSpreadOverEveryManagerAndSurviveARestartOnFewerLoops() {
    List<Future<String>> lanes = new ArrayList<>();
    for (int lane = 0; lane < 32; lane++) {
      CoordinatorTestClient client = clients.get(lane % clients.size());
      Future<String> chain = transfer(client);
      for (int i = 0; i < 4; i++) {
        chain = chain.compose(x -> transfer(client));
      }
      lanes.add(chain);
    }
    Await.result(Future.all(lanes), 60);
    CoordinatorTestClient client = clients.get(0);
    List<String> all = client.list(ListTransactionsRequest.newBuilder().setPageSize(1000).build())
        .getTransactionsList().stream().map(t -> t.getTxId()).toList();
    assertEquals(160, all.size(), "every transaction listed once");
    assertEquals(all.stream().sorted((x, y) -> TxId.parse(x).compareTo(TxId.parse(y))).toList(), all, "in id order");
    Set<Integer> managers = new HashSet<>();
    await().until(() -> all.stream().allMatch(tx -> a.state(tx) == COMMITTED && b.state(tx) == COMMITTED));
    List<Future<Outcome>> outcomes = new ArrayList<>();
    for (String tx : all) {
      managers.add(SequenceSpace.owner(TxId.parse(tx).sequence(), 4));
      outcomes.add(client.outcomeAsync(tx));
    }
    Await.result(Future.all(outcomes));
    outcomes.forEach(o -> assertEquals(Outcome.OUTCOME_COMMITTED, o.result()));
    assertEquals(Set.of(0, 1, 2, 3), managers, "Begin went round all four managers");

    // Decided but stuck in phase 2 at a: after a restart on two loops the recovering manager (by the new routing)
    // finishes it.
    a.failPhaseTwo(Integer.MAX_VALUE);
    List<String> stuck = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      stuck.add(Await.result(transfer(client)));
    }
    await().until(() -> stuck.stream()
        .allMatch(tx -> client.get(tx).getState() == TransactionState.TRANSACTION_STATE_COMMITTING));
    Await.result(coordinator.close());
    a.failPhaseTwo(0);
    coordinator = startCoordinator(2);
    clients.forEach(c -> c.port(coordinator.grpcPort()));
    await().atMost(Duration.ofSeconds(20)).until(() -> stuck.stream().allMatch(tx -> a.state(tx) == COMMITTED
        && client.get(tx).getState() == TransactionState.TRANSACTION_STATE_COMMITTED));
    List<Future<Outcome>> after = new ArrayList<>();
    all.forEach(tx -> after.add(client.outcomeAsync(tx)));
    Await.result(Future.all(after));
    after.forEach(o -> assertEquals(Outcome.OUTCOME_COMMITTED, o.result(), "after the restart"));
    String next = client.begin();
    assertTrue(TxId.parse(next).epoch() > TxId.parse(all.get(0)).epoch(), "a new epoch");
    Await.result(transfer(clients.get(1)));
  }
}
