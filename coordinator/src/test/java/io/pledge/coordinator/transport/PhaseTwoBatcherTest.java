package io.pledge.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.common.grpc.RpcException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The batching rules of {@link PhaseTwoBatcher}, with a scripted participant end (the calls are held by the test). */
class PhaseTwoBatcherTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** A call the batcher made, answered by the test. */
  private record Call(String endpoint, CompleteBranchesRequest request, Promise<CompleteBranchesResponse> answer) {
    List<String> txIds() {
      return request.getBranchesList().stream().map(BranchCompletion::getTxId).toList();
    }
  }

  private Vertx vertx;
  private Context context;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<BranchCompletion> singles = new CopyOnWriteArrayList<>();
  private PhaseTwoBatcher batcher;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    batcher = new PhaseTwoBatcher(context, (endpoint, request, timeout) -> {
      Promise<CompleteBranchesResponse> answer = Promise.promise();
      calls.add(new Call(endpoint, request, answer));
      return answer.future();
    }, (endpoint, branch, timeout) -> {
      singles.add(branch);
      return Future.succeededFuture();
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Future<Void> commit(String endpoint, String tx) {
    return batcher.complete(endpoint, tx, "p", true, TIMEOUT);
  }

  /** Runs {@code decisions} in one turn of the coordinator's context, as a burst of decisions would. */
  private void inOneTurn(Runnable decisions) {
    context.runOnContext(v -> decisions.run());
  }

  private static CompleteBranchesResponse allDone(Call call) {
    CompleteBranchesResponse.Builder b = CompleteBranchesResponse.newBuilder();
    call.request().getBranchesList().forEach(x -> b.addResults(BranchCompletionResult.getDefaultInstance()));
    return b.build();
  }

  private void awaitCalls(int n) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() >= n);
  }

  @Test
  void theDecisionsOfOneTurnGoOutInOneCall() throws Exception {
    List<Future<Void>> all = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      for (int i = 1; i <= 50; i++) {
        all.add(commit("a:1", "t" + i));
      }
    });
    awaitCalls(1);
    Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> calls.size() == 1);
    assertEquals(50, calls.get(0).request().getBranchesCount());
    assertEquals("t1", calls.get(0).txIds().get(0));
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.get(0).request().getBranches(0).getOutcome());
    calls.get(0).answer().complete(allDone(calls.get(0)));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> all.size() == 50);
    Future.all(all).await(5, TimeUnit.SECONDS);
  }

  @Test
  void aLoneDecisionGoesOutAtOnce() throws Exception {
    Future<Void> done = commit("a:1", "t1");
    awaitCalls(1);
    assertEquals(List.of("t1"), calls.get(0).txIds());
    calls.get(0).answer().complete(allDone(calls.get(0)));
    done.await(5, TimeUnit.SECONDS);
  }

  @Test
  void aCallInFlightHoldsBackNoDecisionAfterIt() throws Exception {
    // A participant that never finishes one branch must not delay the others' phase 2 (found by ParticipantCrashIT:
    // a stalled commit held back a later rollback when one call at a time went out per endpoint).
    commit("a:1", "stalled");
    awaitCalls(1);
    Future<Void> later = batcher.complete("a:1", "t2", "p", false, TIMEOUT);
    awaitCalls(2);
    assertEquals(List.of("t2"), calls.get(1).txIds());
    calls.get(1).answer().complete(allDone(calls.get(1)));
    later.await(5, TimeUnit.SECONDS);
    assertFalse(calls.get(0).answer().future().isComplete());
  }

  @Test
  void endpointsAreBatchedApartAndRollbacksTravelWithCommits() throws Exception {
    inOneTurn(() -> {
      commit("a:1", "t1");
      batcher.complete("a:1", "t2", "p", false, TIMEOUT);
      commit("b:2", "t3");
    });
    awaitCalls(2);
    Call a = calls.stream().filter(c -> c.endpoint().equals("a:1")).findFirst().orElseThrow();
    Call b = calls.stream().filter(c -> c.endpoint().equals("b:2")).findFirst().orElseThrow();
    assertEquals(List.of(Outcome.OUTCOME_COMMITTED, Outcome.OUTCOME_ABORTED),
        a.request().getBranchesList().stream().map(BranchCompletion::getOutcome).toList());
    assertEquals(List.of("t3"), b.txIds());
  }

  @Test
  void aBranchThatFailsFailsAloneWithItsStatus() throws Exception {
    List<Future<Void>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(commit("a:1", "t1"));
      f.add(commit("a:1", "t2"));
    });
    awaitCalls(1);
    calls.get(0).answer().complete(CompleteBranchesResponse.newBuilder()
        .addResults(BranchCompletionResult.getDefaultInstance())
        .addResults(BranchCompletionResult.newBuilder().setStatus(GrpcStatus.FAILED_PRECONDITION.code)
            .setMessage("branch t2 was rolled back; it cannot commit"))
        .build());
    f.get(0).await(5, TimeUnit.SECONDS);
    Throwable failure = f.get(1).transform(ar -> Future.succeededFuture(ar.cause())).await(5, TimeUnit.SECONDS);
    assertTrue(failure instanceof RpcException e && e.status() == GrpcStatus.FAILED_PRECONDITION
        && e.detail().contains("cannot commit"), String.valueOf(failure));
  }

  @Test
  void aFailedCallFailsEveryBranchInIt() throws Exception {
    List<Future<Void>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(commit("a:1", "t1"));
      f.add(commit("a:1", "t2"));
    });
    awaitCalls(1);
    calls.get(0).answer().fail(new RpcException(GrpcStatus.UNAVAILABLE, "connection refused"));
    for (Future<Void> each : f) {
      assertTrue(each.transform(ar -> Future.succeededFuture(ar.failed())).await(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void aParticipantWithoutCompleteGetsSingleCallsFromThenOn() throws Exception {
    List<Future<Void>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(commit("old:1", "t1"));
      f.add(commit("old:1", "t2"));
    });
    awaitCalls(1);
    calls.get(0).answer().fail(new RpcException(GrpcStatus.UNIMPLEMENTED, "unknown method"));
    Future.all(f).await(5, TimeUnit.SECONDS);
    commit("old:1", "t3").await(5, TimeUnit.SECONDS);
    assertEquals(List.of("t1", "t2", "t3"), singles.stream().map(BranchCompletion::getTxId).toList());
    assertEquals(1, calls.size(), "no batched call after UNIMPLEMENTED");
  }

  @Test
  void aBatchIsCappedAndTheRestFollowsInTheSameTurn() {
    int n = EndpointBatcher.MAX_BATCH + 10;
    inOneTurn(() -> {
      for (int i = 1; i <= n; i++) {
        commit("a:1", "t" + i);
      }
    });
    awaitCalls(2);
    assertEquals(List.of(EndpointBatcher.MAX_BATCH, 10),
        calls.stream().map(c -> c.request().getBranchesCount()).toList());
  }
}
