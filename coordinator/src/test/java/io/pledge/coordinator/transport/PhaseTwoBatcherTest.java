package io.pledge.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
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

  private static CompleteBranchesResponse allDone(Call call) {
    CompleteBranchesResponse.Builder b = CompleteBranchesResponse.newBuilder();
    call.request().getBranchesList().forEach(x -> b.addResults(BranchCompletionResult.getDefaultInstance()));
    return b.build();
  }

  private void awaitCalls(int n) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() >= n);
  }

  @Test
  void aLoneDecisionGoesOutAtOnceAndWhatPilesUpMeanwhileGoesInOneCall() throws Exception {
    Future<Void> first = commit("a:1", "t1");
    awaitCalls(1);
    assertEquals(List.of("t1"), calls.get(0).txIds());
    List<Future<Void>> later = new ArrayList<>();
    for (int i = 2; i <= 50; i++) {
      later.add(commit("a:1", "t" + i));
    }
    // Nothing more is sent while the first call is in flight.
    Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> calls.size() == 1);
    calls.get(0).answer().complete(allDone(calls.get(0)));
    first.await(5, TimeUnit.SECONDS);
    awaitCalls(2);
    assertEquals(49, calls.get(1).request().getBranchesCount(), "everything that piled up, in one call");
    assertEquals("t2", calls.get(1).txIds().get(0));
    calls.get(1).answer().complete(allDone(calls.get(1)));
    Future.all(later).await(5, TimeUnit.SECONDS);
    assertEquals(Outcome.OUTCOME_COMMITTED, calls.get(1).request().getBranches(0).getOutcome());
  }

  @Test
  void endpointsAreBatchedApartAndRollbacksTravelWithCommits() throws Exception {
    commit("a:1", "t1");
    commit("b:2", "t2");
    awaitCalls(2);
    assertEquals(List.of("a:1", "b:2"), calls.stream().map(Call::endpoint).sorted().toList());
    batcher.complete("a:1", "t3", "p", false, TIMEOUT);
    commit("a:1", "t4");
    Call a = calls.stream().filter(c -> c.endpoint().equals("a:1")).findFirst().orElseThrow();
    a.answer().complete(allDone(a));
    awaitCalls(3);
    Call next = calls.get(2);
    assertEquals("a:1", next.endpoint());
    assertEquals(List.of(Outcome.OUTCOME_ABORTED, Outcome.OUTCOME_COMMITTED),
        next.request().getBranchesList().stream().map(BranchCompletion::getOutcome).toList());
  }

  @Test
  void aBranchThatFailsFailsAloneWithItsStatus() throws Exception {
    Future<Void> first = commit("a:1", "t1");
    awaitCalls(1);
    Future<Void> ok = commit("a:1", "t2");
    Future<Void> refused = commit("a:1", "t3");
    calls.get(0).answer().complete(allDone(calls.get(0)));
    awaitCalls(2);
    calls.get(1).answer().complete(CompleteBranchesResponse.newBuilder()
        .addResults(BranchCompletionResult.getDefaultInstance())
        .addResults(BranchCompletionResult.newBuilder().setStatus(GrpcStatus.FAILED_PRECONDITION.code)
            .setMessage("branch t3 was rolled back; it cannot commit"))
        .build());
    ok.await(5, TimeUnit.SECONDS);
    Throwable failure = refused.transform(ar -> Future.succeededFuture(ar.cause())).await(5, TimeUnit.SECONDS);
    assertTrue(failure instanceof RpcException e && e.status() == GrpcStatus.FAILED_PRECONDITION
        && e.detail().contains("cannot commit"), String.valueOf(failure));
    assertTrue(first.succeeded());
  }

  @Test
  void aFailedCallFailsEveryBranchInItAndTheNextCallStillGoesOut() throws Exception {
    Future<Void> first = commit("a:1", "t1");
    awaitCalls(1);
    Future<Void> second = commit("a:1", "t2");
    calls.get(0).answer().fail(new RpcException(GrpcStatus.UNAVAILABLE, "connection refused"));
    assertTrue(first.transform(ar -> Future.succeededFuture(ar.failed())).await(5, TimeUnit.SECONDS));
    awaitCalls(2);
    calls.get(1).answer().complete(allDone(calls.get(1)));
    second.await(5, TimeUnit.SECONDS);
  }

  @Test
  void aParticipantWithoutCompleteGetsSingleCallsFromThenOn() throws Exception {
    Future<Void> first = commit("old:1", "t1");
    awaitCalls(1);
    Future<Void> second = commit("old:1", "t2");
    calls.get(0).answer().fail(new RpcException(GrpcStatus.UNIMPLEMENTED, "unknown method"));
    Future.all(first, second).await(5, TimeUnit.SECONDS);
    commit("old:1", "t3").await(5, TimeUnit.SECONDS);
    assertEquals(List.of("t1", "t2", "t3"), singles.stream().map(BranchCompletion::getTxId).toList());
    assertEquals(1, calls.size(), "no batched call after UNIMPLEMENTED");
  }

  @Test
  void aBatchIsCappedAndTheRestFollows() throws Exception {
    commit("a:1", "t0");
    awaitCalls(1);
    int n = PhaseTwoBatcher.MAX_BATCH + 10;
    for (int i = 1; i <= n; i++) {
      commit("a:1", "t" + i);
    }
    // The decisions were queued on the context before the answer's callback, which therefore finds them all.
    calls.get(0).answer().complete(allDone(calls.get(0)));
    awaitCalls(2);
    assertEquals(PhaseTwoBatcher.MAX_BATCH, calls.get(1).request().getBranchesCount());
    calls.get(1).answer().complete(allDone(calls.get(1)));
    awaitCalls(3);
    assertEquals(10, calls.get(2).request().getBranchesCount());
  }
}
