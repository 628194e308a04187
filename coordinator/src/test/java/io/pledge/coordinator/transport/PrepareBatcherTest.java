package io.pledge.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.BranchPrepareResult;
import io.pledge.api.v1.PrepareBranchesRequest;
import io.pledge.api.v1.PrepareBranchesResponse;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.api.v1.Vote;
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

/**
 * The batching rules of {@link PrepareBatcher} (and so of {@link EndpointBatcher} for phase 1), with a scripted
 * participant end: the calls are held by the test, which answers them.
 */
class PrepareBatcherTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** A call the batcher made, answered by the test. */
  private record Call(String endpoint, PrepareBranchesRequest request, Duration timeout,
      Promise<PrepareBranchesResponse> answer) {
    List<String> txIds() {
      return request.getBranchesList().stream().map(PrepareRequest::getTxId).toList();
    }
  }

  private Vertx vertx;
  private Context context;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<PrepareRequest> singles = new CopyOnWriteArrayList<>();
  private final List<Duration> singleTimeouts = new CopyOnWriteArrayList<>();
  private PrepareBatcher batcher;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    batcher = new PrepareBatcher(context, (endpoint, request, timeout) -> {
      Promise<PrepareBranchesResponse> answer = Promise.promise();
      calls.add(new Call(endpoint, request, timeout, answer));
      return answer.future();
    }, (endpoint, branch, timeout) -> {
      singles.add(branch);
      singleTimeouts.add(timeout);
      return Future.succeededFuture(PrepareResponse.newBuilder().setVote(Vote.VOTE_YES).build());
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Future<PrepareResponse> prepare(String endpoint, String tx) {
    return batcher.prepare(endpoint, tx, "p", TIMEOUT);
  }

  /** Runs {@code prepares} in one turn of the coordinator's context, as a burst of client Commits would. */
  private void inOneTurn(Runnable prepares) {
    context.runOnContext(v -> prepares.run());
  }

  private static PrepareBranchesResponse allYes(Call call) {
    PrepareBranchesResponse.Builder b = PrepareBranchesResponse.newBuilder();
    call.request().getBranchesList().forEach(x -> b.addResults(BranchPrepareResult.newBuilder()
        .setVote(Vote.VOTE_YES)));
    return b.build();
  }

  private void awaitCalls(int n) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() >= n);
  }

  private static Throwable failureOf(Future<?> f) throws Exception {
    return f.transform(ar -> Future.succeededFuture(ar.cause())).await(5, TimeUnit.SECONDS);
  }

  @Test
  void thePreparesOfOneTurnGoOutInOneCallInTheirOrder() throws Exception {
    List<Future<PrepareResponse>> all = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      for (int i = 1; i <= 50; i++) {
        all.add(prepare("a:1", "t" + i));
      }
    });
    awaitCalls(1);
    Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> calls.size() == 1);
    assertEquals(50, calls.get(0).request().getBranchesCount());
    assertEquals(List.of("t1", "t2", "t3"), calls.get(0).txIds().subList(0, 3));
    assertEquals("t50", calls.get(0).txIds().get(49));
    // Each branch gets its own vote back, matched by position.
    PrepareBranchesResponse.Builder answer = PrepareBranchesResponse.newBuilder();
    for (int i = 1; i <= 50; i++) {
      answer.addResults(BranchPrepareResult.newBuilder().setVote(i % 2 == 0 ? Vote.VOTE_NO : Vote.VOTE_YES)
          .setReason(i % 2 == 0 ? "no for t" + i : ""));
    }
    calls.get(0).answer().complete(answer.build());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> all.size() == 50);
    Future.all(all).await(5, TimeUnit.SECONDS);
    for (int i = 1; i <= 50; i++) {
      PrepareResponse r = all.get(i - 1).result();
      assertEquals(i % 2 == 0 ? Vote.VOTE_NO : Vote.VOTE_YES, r.getVote(), "t" + i);
      assertEquals(i % 2 == 0 ? "no for t" + i : "", r.getReason());
    }
  }

  @Test
  void aLonePrepareGoesOutAtOnce() throws Exception {
    Future<PrepareResponse> vote = prepare("a:1", "t1");
    awaitCalls(1);
    assertEquals(List.of("t1"), calls.get(0).txIds());
    assertEquals(PrepareBatcher.PATIENCE, calls.get(0).timeout(), "the batch's patience, below the item's timeout");
    calls.get(0).answer().complete(allYes(calls.get(0)));
    assertEquals(Vote.VOTE_YES, vote.await(5, TimeUnit.SECONDS).getVote());
  }

  @Test
  void aCallInFlightHoldsBackNoPrepareAfterIt() throws Exception {
    prepare("a:1", "stalled");
    awaitCalls(1);
    Future<PrepareResponse> later = prepare("a:1", "t2");
    awaitCalls(2);
    assertEquals(List.of("t2"), calls.get(1).txIds());
    calls.get(1).answer().complete(allYes(calls.get(1)));
    later.await(5, TimeUnit.SECONDS);
    assertFalse(calls.get(0).answer().future().isComplete());
  }

  @Test
  void endpointsAreBatchedApartAndTheCallTimeoutIsTheLargestOfItsItems() throws Exception {
    inOneTurn(() -> {
      batcher.prepare("a:1", "t1", "p", Duration.ofMillis(200));
      batcher.prepare("a:1", "t2", "q", Duration.ofMillis(700));
      batcher.prepare("b:2", "t3", "p", Duration.ofMillis(300));
    });
    awaitCalls(2);
    Call a = calls.stream().filter(c -> c.endpoint().equals("a:1")).findFirst().orElseThrow();
    Call b = calls.stream().filter(c -> c.endpoint().equals("b:2")).findFirst().orElseThrow();
    assertEquals(List.of("t1", "t2"), a.txIds());
    assertEquals(List.of("p", "q"), a.request().getBranchesList().stream().map(PrepareRequest::getParticipantId)
        .toList());
    assertEquals(Duration.ofMillis(700), a.timeout());
    assertEquals(List.of("t3"), b.txIds());
    assertEquals(Duration.ofMillis(300), b.timeout());
  }

  @Test
  void aBranchThatFailsFailsAloneWithItsStatus() throws Exception {
    List<Future<PrepareResponse>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(prepare("a:1", "t1"));
      f.add(prepare("a:1", "t2"));
      f.add(prepare("a:1", "t3"));
    });
    awaitCalls(1);
    calls.get(0).answer().complete(PrepareBranchesResponse.newBuilder()
        .addResults(BranchPrepareResult.newBuilder().setVote(Vote.VOTE_YES))
        .addResults(BranchPrepareResult.newBuilder().setStatus(GrpcStatus.NOT_FOUND.code)
            .setMessage("participant p is not served here"))
        .addResults(BranchPrepareResult.newBuilder().setVote(Vote.VOTE_READ_ONLY))
        .build());
    assertEquals(Vote.VOTE_YES, f.get(0).await(5, TimeUnit.SECONDS).getVote());
    assertEquals(Vote.VOTE_READ_ONLY, f.get(2).await(5, TimeUnit.SECONDS).getVote());
    Throwable failure = failureOf(f.get(1));
    assertTrue(failure instanceof RpcException e && e.status() == GrpcStatus.NOT_FOUND
        && e.detail().contains("not served here"), String.valueOf(failure));
  }

  @Test
  void aFailedCallFailsEveryBranchInIt() throws Exception {
    List<Future<PrepareResponse>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(prepare("a:1", "t1"));
      f.add(prepare("a:1", "t2"));
    });
    awaitCalls(1);
    calls.get(0).answer().fail(new RpcException(GrpcStatus.UNAVAILABLE, "connection closed"));
    for (Future<PrepareResponse> each : f) {
      Throwable failure = failureOf(each);
      assertTrue(failure instanceof RpcException e && e.status() == GrpcStatus.UNAVAILABLE,
          String.valueOf(failure));
    }
    assertEquals(List.of(), singles, "a failed call is not retried as single calls");
  }

  @Test
  void aBatchOutOfPatienceSendsEachBranchAloneWithWhatIsLeftOfItsTimeout() throws Exception {
    List<Future<PrepareResponse>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(prepare("a:1", "fast"));
      f.add(prepare("a:1", "slow"));
    });
    awaitCalls(1);
    // The participant is still on "slow" when the call's patience runs out.
    calls.get(0).answer().fail(new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "no answer within 1s"));
    for (Future<PrepareResponse> each : f) {
      assertEquals(Vote.VOTE_YES, each.await(5, TimeUnit.SECONDS).getVote());
    }
    assertEquals(List.of("fast", "slow"), singles.stream().map(PrepareRequest::getTxId).toList());
    assertEquals(List.of(TIMEOUT.minus(PrepareBatcher.PATIENCE), TIMEOUT.minus(PrepareBatcher.PATIENCE)),
        singleTimeouts);
  }

  @Test
  void aBatchWithinItsBranchesOwnTimeoutFailsThemWhenItTimesOut() throws Exception {
    Future<PrepareResponse> vote = batcher.prepare("a:1", "t1", "p", Duration.ofMillis(500));
    awaitCalls(1);
    assertEquals(Duration.ofMillis(500), calls.get(0).timeout());
    calls.get(0).answer().fail(new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "no answer within 500ms"));
    Throwable failure = failureOf(vote);
    assertTrue(failure instanceof RpcException e && e.status() == GrpcStatus.DEADLINE_EXCEEDED,
        String.valueOf(failure));
    assertEquals(List.of(), singles, "its own timeout is spent: nothing is left to send alone");
  }

  @Test
  void anAnswerWithTheWrongNumberOfResultsFailsEveryBranch() throws Exception {
    List<Future<PrepareResponse>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(prepare("a:1", "t1"));
      f.add(prepare("a:1", "t2"));
    });
    awaitCalls(1);
    calls.get(0).answer().complete(PrepareBranchesResponse.newBuilder()
        .addResults(BranchPrepareResult.newBuilder().setVote(Vote.VOTE_YES)).build());
    for (Future<PrepareResponse> each : f) {
      Throwable failure = failureOf(each);
      assertTrue(failure instanceof RpcException e && e.status() == GrpcStatus.INTERNAL
          && e.detail().contains("1 results for 2 branches"), String.valueOf(failure));
    }
  }

  @Test
  void aParticipantWithoutPrepareBranchesGetsSinglePreparesFromThenOn() throws Exception {
    List<Future<PrepareResponse>> f = new CopyOnWriteArrayList<>();
    inOneTurn(() -> {
      f.add(prepare("old:1", "t1"));
      f.add(prepare("old:1", "t2"));
      f.add(prepare("new:2", "t9"));
    });
    awaitCalls(2);
    Call old = calls.stream().filter(c -> c.endpoint().equals("old:1")).findFirst().orElseThrow();
    Call fresh = calls.stream().filter(c -> c.endpoint().equals("new:2")).findFirst().orElseThrow();
    old.answer().fail(new RpcException(GrpcStatus.UNIMPLEMENTED, "unknown method PrepareBranches"));
    fresh.answer().complete(allYes(fresh));
    for (Future<PrepareResponse> each : f) {
      assertEquals(Vote.VOTE_YES, each.await(5, TimeUnit.SECONDS).getVote());
    }
    inOneTurn(() -> {
      f.add(prepare("old:1", "t3"));
      f.add(prepare("old:1", "t4"));
    });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> singles.size() == 4);
    assertEquals(List.of("t1", "t2", "t3", "t4"), singles.stream().map(PrepareRequest::getTxId).toList());
    assertEquals(2, calls.size(), "no batched call to old:1 after UNIMPLEMENTED");
    // Only that endpoint: another still gets batches.
    prepare("new:2", "t10");
    awaitCalls(3);
    assertEquals("new:2", calls.get(2).endpoint());
  }

  @Test
  void aBatchIsCappedAndTheRestFollowsInTheSameTurn() {
    int n = 2 * EndpointBatcher.MAX_BATCH + 3;
    inOneTurn(() -> {
      for (int i = 1; i <= n; i++) {
        prepare("a:1", "t" + i);
      }
    });
    awaitCalls(3);
    assertEquals(List.of(EndpointBatcher.MAX_BATCH, EndpointBatcher.MAX_BATCH, 3),
        calls.stream().map(c -> c.request().getBranchesCount()).toList());
    assertEquals("t" + (EndpointBatcher.MAX_BATCH + 1), calls.get(1).txIds().get(0));
  }

  @Test
  void aBatchIsCappedInBytesSoThatItFitsTheParticipantsMessageLimit() {
    // Long ids (a participant accepts up to 256 + 128 characters): 256 of them would not fit in 16 KiB.
    String longId = "x".repeat(200);
    int n = 100;
    inOneTurn(() -> {
      for (int i = 1; i <= n; i++) {
        batcher.prepare("a:1", longId + i, "participant-with-a-long-name", TIMEOUT);
      }
    });
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> calls.stream().mapToInt(c -> c.request().getBranchesCount()).sum() == n);
    assertTrue(calls.size() > 1, "one call of " + calls.get(0).request().getSerializedSize() + " bytes");
    for (Call c : calls) {
      assertTrue(c.request().getSerializedSize() <= EndpointBatcher.MAX_BATCH_BYTES,
          c.request().getSerializedSize() + " bytes");
    }
    assertEquals(longId + 1, calls.get(0).txIds().get(0));
    assertEquals(longId + n, calls.get(calls.size() - 1).txIds().get(calls.get(calls.size() - 1).txIds().size() - 1));
  }
}
