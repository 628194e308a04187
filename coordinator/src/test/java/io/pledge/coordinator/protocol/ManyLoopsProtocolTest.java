package io.pledge.coordinator.protocol;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.coordinator.log.InMemoryTxLog;
import io.pledge.coordinator.metrics.CoordinatorMetrics;
import io.pledge.coordinator.protocol.CoordinatorException.Code;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TransactionManagers}: N managers on N event loops over one log, on the lossy in-memory network of
 * {@link LossyProtocolTest}, with a crash in the middle. Every call naming a transaction runs on the one event-loop
 * thread of its manager (the loops are really different threads, and a transaction never moves), Begin spreads
 * over all of them, one epoch is shared, and after the restart (new managers, each recovering its share of the log)
 * every transaction is resolved the same way everywhere, as with one manager.
 */
class ManyLoopsProtocolTest {

  static final List<String> PARTICIPANTS = LossyProtocolTest.PARTICIPANTS;

  Vertx vertx;
  InMemoryTxLog log;
  /** The event loops of the managers made last. */
  List<Context> loops;

  /**
   * Where the test's requests come from: a worker, on no manager's event loop, as a request arriving on a loop that
   * runs no manager (then Begin goes round-robin).
   */
  Context requests() {
    return ((io.vertx.core.internal.VertxInternal) vertx).createWorkerContext();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    log = new InMemoryTxLog(System::currentTimeMillis);
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  /** Started managers on {@code n} event loops, each with the network's channel of {@code incarnation}. */
  TransactionManagers managers(LossyChannel network, int incarnation, int n) {
    return managers(network, incarnation, n, Limits.DEFAULT);
  }

  TransactionManagers managers(LossyChannel network, int incarnation, int n, Limits limits) {
    Context first = vertx.getOrCreateContext();
    loops = TransactionManagers.eventLoops(vertx, first, n);
    TransactionManagers managers = TransactionManagers.on(loops, log,
        (i, context, epoch, sequences) -> new TransactionManager(vertx, context, "coord-0", log,
            network.incarnation(incarnation), LossyProtocolTest.SETTINGS, TransactionManagers.share(limits, i, n),
            new CoordinatorMetrics(new SimpleMeterRegistry()), System::currentTimeMillis, epoch, sequences));
    Await.result(onContext(first, managers::start));
    return managers;
  }

  /** Runs {@code action} on {@code context} (where a gRPC request would arrive) and waits for its answer. */
  static <T> Future<T> onContext(Context context, Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }

  @ParameterizedTest
  @CsvSource({"2, 11", "4, 12", "4, 13"})
  void transactionsStayOnTheirLoopAndResolveConsistentlyAcrossACrash(int n, long seed) {
    Random random = new Random(seed);
    LossyChannel network = new LossyChannel(vertx, seed, 0.15);
    network.holdPhaseTwo();
    TransactionManagers first = managers(network, 1, n);
    Context requests = requests();
    Map<TxId, Set<String>> threads = new ConcurrentHashMap<>();
    Map<String, Outcome> told = new ConcurrentHashMap<>();
    Map<String, List<String>> enlisted = new ConcurrentHashMap<>();
    Set<Long> epochs = ConcurrentHashMap.newKeySet();

    for (int i = 0; i < 160; i++) {
      TxView view = Await.result(onContext(requests, () -> first.next(m -> m.begin(0, Map.of()))));
      TxId id = view.id();
      epochs.add(id.epoch());
      Function<Function<TransactionManager, Future<Object>>, Future<Object>> onItsManager = call ->
          onContext(requests, () -> first.call(id, m -> {
            threads.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread().getName());
            return call.apply(m);
          }));
      List<String> members = PARTICIPANTS.subList(0, 1 + random.nextInt(PARTICIPANTS.size()));
      enlisted.put(id.toString(), members);
      for (String p : members) {
        Await.result(onItsManager.apply(m -> m.enlist(id, new Participant(p, "sim:1")).map(e -> e)));
        if (random.nextInt(8) == 0) {
          network.voteNo(id.toString(), p);
        }
      }
      onItsManager.apply(m -> m.commit(id).map(d -> d))
          .onSuccess(d -> told.put(id.toString(), ((Decision) d).outcome()));
    }
    assertEquals(Set.of(Await.result(onContext(requests, () -> Future.succeededFuture(first.epoch())))), epochs,
        "one epoch for all managers");

    // Each transaction ran on one thread; transactions of different managers on different threads, all n used.
    Map<Integer, String> threadOfManager = new ConcurrentHashMap<>();
    for (Map.Entry<TxId, Set<String>> e : threads.entrySet()) {
      assertEquals(1, e.getValue().size(), e.getKey() + " ran on " + e.getValue());
      String thread = e.getValue().iterator().next();
      assertTrue(thread.contains("eventloop"), thread);
      String before = threadOfManager.putIfAbsent(SequenceSpace.owner(e.getKey().sequence(), n), thread);
      assertTrue(before == null || before.equals(thread), "manager's transactions on one thread");
    }
    assertEquals(n, threadOfManager.size(), "Begin went to every manager: " + threadOfManager);
    assertEquals(n, new HashSet<>(threadOfManager.values()).size(), "each manager on a thread of its own");

    // Crash: the managers stop, their calls go nowhere; new ones on the same log recover.
    await().atMost(Duration.ofSeconds(20)).until(() -> told.size() >= 60);
    network.cutOff(2);
    Await.result(onContext(requests, first::stop));
    assertEquals(Code.UNAVAILABLE, ((CoordinatorException) Await.failure(onContext(requests,
        () -> first.next(m -> m.begin(0, Map.of()))))).code(), "stopped managers refuse");
    network.heal();
    TransactionManagers second = managers(network, 2, n);

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
      }
      assertEquals(0, Await.result(onContext(requests, () -> second.list(
          EnumSet.of(TxState.PREPARING, TxState.PREPARED, TxState.COMMITTING, TxState.ROLLING_BACK), null, 1000)))
          .size());
    });
    for (String tx : enlisted.keySet()) {
      TxId id = TxId.parse(tx);
      Outcome outcome = Await.result(onContext(requests, () -> second.call(id, m -> m.outcome(id))));
      assertNotEquals(Outcome.PENDING, outcome, tx);
      boolean committed = network.branch(enlisted.get(tx).get(0), tx) == Branch.COMMITTED;
      assertEquals(committed ? Outcome.COMMITTED : Outcome.ABORTED, outcome, tx + " (seed " + seed + ")");
    }
    long restartedEpoch = Await.result(onContext(requests, () -> Future.succeededFuture(second.epoch())));
    assertTrue(restartedEpoch > epochs.iterator().next(), "a restart takes a new epoch");
  }

  @Test
  void theBoundOfOpenTransactionsIsTheCoordinatorsNotEachManagers() {
    for (int n = 1; n <= 5; n++) {
      for (int total : new int[] {1, 5, 7, 5000}) {
        int sum = 0;
        for (int i = 0; i < n; i++) {
          sum += TransactionManagers.part(total, i, n);
        }
        assertEquals(Math.max(total, n), sum, total + " shared by " + n);
      }
    }
    TransactionManagers managers = managers(new LossyChannel(vertx, 1, 0), 1, 3, new Limits(7, 1000, 64, 8192));
    Context requests = requests();
    List<TxId> begun = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      begun.add(Await.result(onContext(requests, () -> managers.next(m -> m.begin(0, Map.of())))).id());
    }
    CoordinatorException full = (CoordinatorException) Await.failure(onContext(requests,
        () -> managers.next(m -> m.begin(0, Map.of()))));
    assertEquals(Code.RESOURCE_EXHAUSTED, full.code());
    assertTrue(full.getMessage().contains("limits.open-transactions") && full.getMessage().contains("3 event loops"),
        full.getMessage());
    // One slot frees up at some manager: the next Begin gets it, whichever manager's turn it is.
    for (TxId freed : List.of(begun.get(0), begun.get(4), begun.get(2))) {
      Await.result(onContext(requests, () -> managers.call(freed, m -> m.rollback(freed))));
      Await.result(onContext(requests, () -> managers.next(m -> m.begin(0, Map.of()))));
      assertEquals(Code.RESOURCE_EXHAUSTED, ((CoordinatorException) Await.failure(onContext(requests,
          () -> managers.next(m -> m.begin(0, Map.of()))))).code());
    }
  }

  @Test
  void listingMergesEveryManagersTransactionsInIdOrderAndPagesThroughThem() {
    LossyChannel network = new LossyChannel(vertx, 1, 0);
    TransactionManagers managers = managers(network, 1, 3);
    Context requests = requests();
    List<TxId> begun = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      begun.add(Await.result(onContext(requests, () -> managers.next(m -> m.begin(0, Map.of())))).id());
    }
    assertEquals(3, begun.stream().map(id -> SequenceSpace.owner(id.sequence(), 3)).distinct().count(),
        "from elsewhere, Begin goes round-robin");
    // A Begin arriving on a manager's own event loop (a connection Vert.x handed to that loop) stays there.
    for (int i = 0; i < 3; i++) {
      for (int k = 0; k < 3; k++) {
        TxId local = Await.result(onContext(loops.get(i), () -> managers.next(m -> m.begin(0, Map.of())))).id();
        assertEquals(i, SequenceSpace.owner(local.sequence(), 3), "Begin on loop " + i);
        begun.add(local);
      }
    }
    List<TxId> sorted = begun.stream().sorted().toList();
    List<TxId> paged = new ArrayList<>();
    TxId after = null;
    while (true) {
      TxId from = after;
      List<TxView> page = Await.result(onContext(requests, () -> managers.list(Set.of(), from, 4)));
      if (page.isEmpty()) {
        break;
      }
      assertTrue(page.size() <= 4);
      page.forEach(v -> paged.add(v.id()));
      after = page.get(page.size() - 1).id();
    }
    assertEquals(sorted, paged, "every transaction once, in id order");
    // An id this coordinator never issued is unknown, whichever manager it routes to.
    for (long sequence : new long[] {begun.get(0).sequence() + 5000, 2, SequenceSpace.SLOT + 7}) {
      TxId never = new TxId("coord-0", begun.get(0).epoch(), sequence);
      boolean issued = begun.contains(never);
      Future<TxView> found = onContext(requests, () -> managers.call(never, m -> m.get(never)));
      if (issued) {
        assertEquals(never, Await.result(found).id());
      } else {
        assertEquals(Code.NOT_FOUND, ((CoordinatorException) Await.failure(found)).code(), never.toString());
      }
    }
  }
}
