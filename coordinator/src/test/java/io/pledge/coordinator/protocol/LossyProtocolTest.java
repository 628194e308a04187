package io.pledge.coordinator.protocol;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.coordinator.log.InMemoryTxLog;
import io.pledge.coordinator.metrics.CoordinatorMetrics;
import io.pledge.coordinator.protocol.LossyChannel.Branch;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.TxState;
import io.pledge.testkit.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The protocol engine on an in-memory log and a network that loses, duplicates and delays messages, with a
 * coordinator crash in the middle: afterwards every transaction is resolved the same way at every participant, and
 * every commit the client was told of happened everywhere. Seeded, so a failure names the seed that replays it.
 */
class LossyProtocolTest {

  static final List<String> PARTICIPANTS = List.of("p1", "p2", "p3");
  static final ProtocolSettings SETTINGS = new ProtocolSettings(Duration.ofSeconds(30), Duration.ofHours(1),
      Duration.ofMillis(300), Duration.ofMillis(200), Duration.ofMillis(5), Duration.ofMillis(40),
      Duration.ofMinutes(5), 100_000);

  Vertx vertx;
  InMemoryTxLog log;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    log = new InMemoryTxLog(System::currentTimeMillis);
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  record Incarnation(TransactionManager manager, Context context) {
    <T> T call(Callable<Future<T>> action) {
      Promise<T> p = Promise.promise();
      context.runOnContext(v -> {
        try {
          action.call().onComplete(p);
        } catch (Exception e) {
          p.fail(e);
        }
      });
      return Await.result(p.future());
    }
  }

  Incarnation incarnation(LossyChannel network, int n) {
    Context context = vertx.getOrCreateContext();
    TransactionManager manager = new TransactionManager(vertx, context, "coord-0", log, network.incarnation(n),
        SETTINGS, new CoordinatorMetrics(new SimpleMeterRegistry()), System::currentTimeMillis);
    Incarnation inc = new Incarnation(manager, context);
    inc.call(manager::start);
    return inc;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void everyTransactionResolvesConsistently(long seed) {
    Random random = new Random(seed);
    LossyChannel network = new LossyChannel(vertx, seed, 0.15);
    network.holdPhaseTwo();
    Incarnation first = incarnation(network, 1);
    Map<String, Outcome> told = new ConcurrentHashMap<>();
    Map<String, List<String>> enlisted = new ConcurrentHashMap<>();
    List<Future<?>> commits = new ArrayList<>();

    for (int i = 0; i < 120; i++) {
      TxId id = first.call(() -> first.manager().begin(0, Map.of())).id();
      List<String> members = PARTICIPANTS.subList(0, 1 + random.nextInt(PARTICIPANTS.size()));
      enlisted.put(id.toString(), members);
      for (String p : members) {
        first.call(() -> first.manager().enlist(id, new Participant(p, "sim:1")));
        if (random.nextInt(8) == 0) {
          network.voteNo(id.toString(), p);
        }
      }
      Promise<Decision> decision = Promise.promise();
      first.context().runOnContext(v -> first.manager().commit(id).onComplete(decision));
      commits.add(decision.future().onSuccess(d -> told.put(id.toString(), d.outcome())));
    }
    // Crash the coordinator while some transactions are still preparing and every decided one is in phase 2.
    await().atMost(Duration.ofSeconds(20)).until(() -> told.size() >= 60);
    network.cutOff(2);
    first.call(() -> {
      first.manager().stop();
      return Future.succeededFuture();
    });
    network.heal();
    Incarnation second = incarnation(network, 2);

    await("everything resolved (seed " + seed + ")").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (Map.Entry<String, List<String>> tx : enlisted.entrySet()) {
        List<Branch> branches = tx.getValue().stream().map(p -> network.branch(p, tx.getKey())).toList();
        assertTrue(branches.stream().noneMatch(b -> b == Branch.PREPARED), tx.getKey() + " in doubt: " + branches);
        boolean committed = branches.contains(Branch.COMMITTED);
        if (committed) {
          assertTrue(branches.stream().allMatch(b -> b == Branch.COMMITTED), tx.getKey() + " mixed: " + branches);
        }
        if (told.get(tx.getKey()) == Outcome.COMMITTED) {
          assertTrue(committed, tx.getKey() + " was acknowledged but is " + branches);
        }
        if (told.get(tx.getKey()) == Outcome.ABORTED) {
          assertTrue(!committed, tx.getKey() + " was told aborted but is " + branches);
        }
      }
      assertEquals(0, second.call(() -> Future.succeededFuture(second.manager().list(
          EnumSet.of(TxState.PREPARING, TxState.PREPARED, TxState.COMMITTING, TxState.ROLLING_BACK), null, 1000)))
          .size());
    });
    for (String tx : enlisted.keySet()) {
      Outcome outcome = second.call(() -> second.manager().outcome(TxId.parse(tx)));
      assertNotEquals(Outcome.PENDING, outcome, tx);
      boolean committed = network.branch(enlisted.get(tx).get(0), tx) == Branch.COMMITTED;
      assertEquals(committed ? Outcome.COMMITTED : Outcome.ABORTED, outcome, tx + " (seed " + seed + ")");
    }
  }
}
