package io.pledge.participant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.participant.client.TransactionClient;
import io.pledge.participant.client.TxOutcome;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.impl.ParticipantEndpointService;
import io.pledge.participant.support.InJvmDeployment;
import io.pledge.participant.support.MemoryResource;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.TestParticipant;
import io.pledge.testkit.TestParticipant.BranchState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batched Prepare (issue 16) end to end: a real coordinator sends the Prepares it issues for one endpoint in one
 * turn of its event loop as one {@code PrepareBranches} call, and real SDK participants answer each branch as its own
 * Prepare. Counted with {@code pledge.participant.rpc.calls}, as the bench counts calls.
 */
class BatchedPrepareIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private InJvmDeployment deployment;
  private Vertx vertx;
  private CoordinatorServer coordinator;
  private TransactionClient client;
  private MemoryResource a;
  private MemoryResource b;
  private SimpleMeterRegistry registryA;
  private SimpleMeterRegistry registryB;
  private ParticipantNode nodeA;
  private ParticipantNode nodeB;
  private Context clientContext;

  @BeforeEach
  void start() throws Exception {
    deployment = InJvmDeployment.start(dir);
    vertx = deployment.vertx;
    coordinator = deployment.coordinator;
    client = deployment.client;
    a = deployment.a;
    b = deployment.b;
    registryA = deployment.registryA;
    registryB = deployment.registryB;
    nodeA = deployment.nodeA;
    nodeB = deployment.nodeB;
    clientContext = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    deployment.close();
  }

  private static double calls(SimpleMeterRegistry registry, String rpc) {
    var counter = registry.find(ParticipantEndpointService.CALLS).tag("rpc", rpc).counter();
    return counter == null ? 0 : counter.count();
  }

  /** Prepare-carrying calls served by a participant: single Prepares and batches. */
  private static double prepareCalls(SimpleMeterRegistry registry) {
    return calls(registry, "Prepare") + calls(registry, "PrepareBranches");
  }

  /**
   * Begins {@code n} transactions that both SDK participants join, then asks to commit them all at once (from one
   * turn of the client's context, so their Commits leave together, as many clients' would under load); the
   * outcomes in order.
   */
  private List<TxOutcome> commitTogether(int n) throws Exception {
    List<String> txs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String tx = client.begin().await(30, TimeUnit.SECONDS);
      nodeA.join("a", tx).compose(v -> nodeB.join("b", tx)).await(30, TimeUnit.SECONDS);
      txs.add(tx);
    }
    return commitAll(txs);
  }

  private List<TxOutcome> commitAll(List<String> txs) throws Exception {
    Promise<List<TxOutcome>> all = Promise.promise();
    clientContext.runOnContext(v -> {
      List<Future<TxOutcome>> outcomes = txs.stream().map(tx -> client.commit(tx)).toList();
      Future.all(outcomes).map(x -> outcomes.stream().map(Future::result).toList()).onComplete(all);
    });
    return all.future().await(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void concurrentCommitsPrepareInFewerCallsThanBranchesAndAllCommit() throws Exception {
    int rounds = 5;
    int perRound = 40;
    List<TxOutcome> outcomes = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      outcomes.addAll(commitTogether(perRound));
    }
    int branches = rounds * perRound;
    assertTrue(outcomes.stream().allMatch(TxOutcome::committed), outcomes.toString());
    for (TxOutcome o : outcomes) {
      assertEquals(1, a.count("prepare " + o.txId()), o.txId());
      assertEquals(1, b.count("prepare " + o.txId()), o.txId());
    }
    Awaitility.await().atMost(WAIT).until(() -> outcomes.stream()
        .allMatch(o -> a.count("commit " + o.txId()) == 1 && b.count("commit " + o.txId()) == 1));
    double callsA = prepareCalls(registryA);
    double callsB = prepareCalls(registryB);
    System.out.printf("batched prepare: %d branches per participant in %.0f calls at a, %.0f at b%n", branches,
        callsA, callsB);
    assertEquals(0, calls(registryA, "Prepare") + calls(registryB, "Prepare"), "no single Prepare was needed");
    assertTrue(callsA < branches && callsB < branches, "a: " + callsA + ", b: " + callsB + " for " + branches);
  }

  @Test
  void aNoVoteInABatchAbortsOnlyItsOwnTransaction() throws Exception {
    // Retried until the no vote is seen travelling with others: the batch is what the coordinator's turns make.
    boolean sharedABatch = false;
    for (int round = 0; round < 10 && !sharedABatch; round++) {
      List<String> txs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String tx = client.begin().await(30, TimeUnit.SECONDS);
        nodeA.join("a", tx).compose(v -> nodeB.join("b", tx)).await(30, TimeUnit.SECONDS);
        txs.add(tx);
      }
      String doomed = txs.get(7);
      b.script(doomed, MemoryResource.Script.NO);
      double before = calls(registryB, "PrepareBranches");
      List<TxOutcome> outcomes = commitAll(txs);
      for (TxOutcome o : outcomes) {
        if (o.txId().equals(doomed)) {
          assertEquals(TxOutcome.Status.ABORTED, o.status(), o.toString());
          assertEquals("ABORT_CAUSE_VOTED_NO", o.cause());
          assertTrue(o.detail().contains("insufficient funds"), o.detail());
        } else {
          assertTrue(o.committed(), o.toString());
        }
      }
      Awaitility.await().atMost(WAIT).until(() -> a.count("rollback " + doomed) == 1);
      assertEquals(0, a.count("commit " + doomed));
      // All 20 of b's branches in one call: the no vote shared it with 19 yes votes.
      sharedABatch = calls(registryB, "PrepareBranches") - before == 1;
    }
    assertTrue(sharedABatch, "in 10 rounds, the 20 prepares to b never went out in one call");
  }

  /**
   * A branch whose prepare waits (for a row lock, say, that another transaction of the same batch holds until it
   * ends) must not hold back the votes of the others in its call: after the batch's patience they are prepared again
   * one by one, answered at once (a prepared branch votes yes again), and commit while it still waits. Without that
   * they waited with it until the prepare timeout.
   */
  @Test
  void aBranchWhosePrepareWaitsHoldsBackNoOtherTransactionOfItsBatch() throws Exception {
    List<String> txs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String tx = client.begin().await(30, TimeUnit.SECONDS);
      nodeA.join("a", tx).compose(v -> nodeB.join("b", tx)).await(30, TimeUnit.SECONDS);
      txs.add(tx);
    }
    String waiting = txs.get(7);
    Promise<Void> lock = Promise.promise();
    b.gate(waiting, lock.future());
    Promise<List<TxOutcome>> all = Promise.promise();
    Map<String, TxOutcome> told = new java.util.concurrent.ConcurrentHashMap<>();
    clientContext.runOnContext(v -> {
      List<Future<TxOutcome>> outcomes = txs.stream()
          .map(tx -> client.commit(tx).onSuccess(o -> told.put(tx, o))).toList();
      Future.all(outcomes).map(x -> outcomes.stream().map(Future::result).toList()).onComplete(all);
    });
    Awaitility.await("the others commit while one prepare still waits").atMost(WAIT)
        .until(() -> told.size() == txs.size() - 1);
    assertTrue(told.values().stream().allMatch(TxOutcome::committed), told.toString());
    assertFalse(told.containsKey(waiting));
    lock.complete();
    TxOutcome last = all.future().await(WAIT.toSeconds(), TimeUnit.SECONDS).get(7);
    assertTrue(last.committed(), last.toString());
  }

  @Test
  void aParticipantWithoutPrepareBranchesGetsSinglePreparesAndCommits() throws Exception {
    // The SDK always serves PrepareBranches; a participant built before it is played by the testkit's, which does
    // not serve the method at all (UNIMPLEMENTED), next to an SDK participant that does.
    try (TestParticipant old = TestParticipant.startWithoutBatchedPrepare(vertx, "old");
        CoordinatorTestClient enlister = new CoordinatorTestClient(vertx, coordinator.grpcPort())) {
      List<String> txs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String tx = client.begin().await(30, TimeUnit.SECONDS);
        nodeA.join("a", tx).await(30, TimeUnit.SECONDS);
        enlister.enlistResponseAsync(tx, "old", old.endpoint()).await(30, TimeUnit.SECONDS);
        txs.add(tx);
      }
      List<TxOutcome> outcomes = commitAll(txs);
      assertTrue(outcomes.stream().allMatch(TxOutcome::committed), outcomes.toString());
      Awaitility.await().atMost(WAIT).until(() -> txs.stream().allMatch(tx -> old.state(tx) == BranchState.COMMITTED
          && a.count("commit " + tx) == 1));
      assertEquals(30, old.prepareCalls(), "one single Prepare per branch");
      assertEquals(0, old.prepareBatchCalls());
      assertTrue(prepareCalls(registryA) < 30, "the SDK participant still got batches: " + prepareCalls(registryA));
    }
  }
}
