package io.pledge.testkit;

import io.pledge.api.v1.BranchCommitRequest;
import io.pledge.api.v1.BranchCommitResponse;
import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.BranchPrepareResult;
import io.pledge.api.v1.BranchRollbackRequest;
import io.pledge.api.v1.BranchRollbackResponse;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ParticipantGrpcService;
import io.pledge.api.v1.ParticipantService;
import io.pledge.api.v1.PrepareBranchesRequest;
import io.pledge.api.v1.PrepareBranchesResponse;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.api.v1.Vote;
import io.pledge.common.grpc.CallSessionService;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.SessionRoutes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A participant on real gRPC (loopback) whose behaviour a test scripts: vote no, stall, fail prepare, fail phase 2
 * a few times before succeeding, vote read-only. It keeps an in-memory ledger of every branch so that tests can
 * check what each transaction came to here, and follows the participant contract: idempotent phase 2, a rollback
 * before its prepare makes the late prepare vote no, one-phase commit decides locally.
 *
 * <p>Thread-safe: the gRPC server runs on one event loop; tests read the ledger from their own thread.
 */
public final class TestParticipant implements AutoCloseable {

  /** What happened to a branch here. */
  public enum BranchState { PREPARED, COMMITTED, ROLLED_BACK, READ_ONLY }

  private final String id;
  private final Vertx vertx;
  private final Map<String, BranchState> ledger = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> phaseTwoFailures = new ConcurrentHashMap<>();
  private final AtomicInteger prepareCalls = new AtomicInteger();
  private final AtomicInteger commitCalls = new AtomicInteger();
  private final AtomicInteger rollbackCalls = new AtomicInteger();
  private final AtomicInteger completeCalls = new AtomicInteger();
  private final AtomicInteger prepareBatchCalls = new AtomicInteger();
  private volatile Predicate<String> voteNo = tx -> false;
  private volatile Predicate<String> readOnly = tx -> false;
  private volatile Predicate<String> stallPrepare = tx -> false;
  private volatile Predicate<String> failPrepare = tx -> false;
  private volatile int failPhaseTwoTimes;
  private HttpServer server;

  private TestParticipant(String id, Vertx vertx) {
    this.id = id;
    this.vertx = vertx;
  }

  /** Starts on 127.0.0.1 with a free port. */
  public static TestParticipant start(Vertx vertx, String id) {
    TestParticipant p = new TestParticipant(id, vertx);
    GrpcServer grpc = GrpcServer.server(vertx);
    Service service = p.new Service();
    grpc.addService(ParticipantGrpcService.of(service));
    SessionRoutes.participant(service).bindTo(grpc);
    p.server = Await.result(GrpcTransport.server(vertx, new HttpServerOptions()).requestHandler(grpc).listen(0, "127.0.0.1"));
    return p;
  }

  /**
   * Starts as a participant built before {@code PrepareBranches} existed: the method is not served at all, unary or
   * over a call session, so a caller gets UNIMPLEMENTED for it as it would from such a server.
   */
  public static TestParticipant startWithoutBatchedPrepare(Vertx vertx, String id) {
    TestParticipant p = new TestParticipant(id, vertx);
    GrpcServer grpc = GrpcServer.server(vertx);
    Service service = p.new Service();
    grpc.addService(ParticipantGrpcService.builder(service).bind(ParticipantGrpcService.Prepare,
        ParticipantGrpcService.Commit, ParticipantGrpcService.Rollback, ParticipantGrpcService.Complete).build());
    new CallSessionService()
        .serve(ParticipantGrpcService.Prepare, service::prepare)
        .serve(ParticipantGrpcService.Commit, service::commit)
        .serve(ParticipantGrpcService.Rollback, service::rollback)
        .serve(ParticipantGrpcService.Complete, service::complete)
        .bindTo(grpc);
    p.server = Await.result(GrpcTransport.server(vertx, new HttpServerOptions()).requestHandler(grpc).listen(0, "127.0.0.1"));
    return p;
  }

  public String id() {
    return id;
  }

  public String endpoint() {
    return "127.0.0.1:" + server.actualPort();
  }

  public TestParticipant voteNoWhen(Predicate<String> txIds) {
    voteNo = txIds;
    return this;
  }

  public TestParticipant readOnlyWhen(Predicate<String> txIds) {
    readOnly = txIds;
    return this;
  }

  /** Prepare never answers for these (the coordinator's prepare timeout decides). */
  public TestParticipant stallPrepareWhen(Predicate<String> txIds) {
    stallPrepare = txIds;
    return this;
  }

  /** Prepare answers with an INTERNAL error for these. */
  public TestParticipant failPrepareWhen(Predicate<String> txIds) {
    failPrepare = txIds;
    return this;
  }

  /** Every transaction's first {@code times} phase-2 calls fail with UNAVAILABLE. */
  public TestParticipant failPhaseTwo(int times) {
    failPhaseTwoTimes = times;
    return this;
  }

  /** What the branch of {@code txId} came to here; null if this participant never heard of it. */
  public BranchState state(String txId) {
    return ledger.get(txId);
  }

  public Map<String, BranchState> ledger() {
    return Map.copyOf(ledger);
  }

  public int prepareCalls() {
    return prepareCalls.get();
  }

  public int commitCalls() {
    return commitCalls.get();
  }

  public int rollbackCalls() {
    return rollbackCalls.get();
  }

  /** Batched phase-2 calls received (each of their branches also counts as a commit or rollback call). */
  public int completeCalls() {
    return completeCalls.get();
  }

  /** Batched prepare calls received (each of their branches also counts as a prepare call). */
  public int prepareBatchCalls() {
    return prepareBatchCalls.get();
  }

  @Override
  public void close() {
    Await.result(server.close());
  }

  private final class Service extends ParticipantService {

    @Override
    public Future<PrepareResponse> prepare(PrepareRequest request) {
      prepareCalls.incrementAndGet();
      String tx = request.getTxId();
      if (stallPrepare.test(tx)) {
        return Promise.<PrepareResponse>promise().future();
      }
      if (failPrepare.test(tx)) {
        return Future.failedFuture(new StatusException(GrpcStatus.INTERNAL, "scripted prepare failure"));
      }
      BranchState current = ledger.get(tx);
      if (current == BranchState.ROLLED_BACK) {
        return vote(Vote.VOTE_NO, "already rolled back");
      }
      if (voteNo.test(tx)) {
        ledger.put(tx, BranchState.ROLLED_BACK);
        return vote(Vote.VOTE_NO, "scripted no vote from " + id);
      }
      if (readOnly.test(tx)) {
        ledger.put(tx, BranchState.READ_ONLY);
        return vote(Vote.VOTE_READ_ONLY, "");
      }
      ledger.putIfAbsent(tx, BranchState.PREPARED);
      return vote(Vote.VOTE_YES, "");
    }

    @Override
    public Future<BranchCommitResponse> commit(BranchCommitRequest request) {
      commitCalls.incrementAndGet();
      String tx = request.getTxId();
      if (request.getOnePhase()) {
        BranchState current = ledger.get(tx);
        if (current == null) {
          boolean no = voteNo.test(tx);
          ledger.put(tx, no ? BranchState.ROLLED_BACK : BranchState.COMMITTED);
          current = ledger.get(tx);
        }
        return Future.succeededFuture(BranchCommitResponse.newBuilder()
            .setOutcome(current == BranchState.COMMITTED ? Outcome.OUTCOME_COMMITTED : Outcome.OUTCOME_ABORTED)
            .setReason(current == BranchState.COMMITTED ? "" : "scripted no vote from " + id).build());
      }
      if (shouldFailPhaseTwo(tx)) {
        return Future.failedFuture(new StatusException(GrpcStatus.UNAVAILABLE, "scripted phase-2 failure"));
      }
      BranchState current = ledger.get(tx);
      if (current == BranchState.ROLLED_BACK) {
        return Future.failedFuture(new StatusException(GrpcStatus.FAILED_PRECONDITION,
            "branch " + tx + " was rolled back; it cannot commit"));
      }
      ledger.put(tx, BranchState.COMMITTED);
      return Future.succeededFuture(BranchCommitResponse.newBuilder().setOutcome(Outcome.OUTCOME_COMMITTED).build());
    }

    @Override
    public Future<BranchRollbackResponse> rollback(BranchRollbackRequest request) {
      rollbackCalls.incrementAndGet();
      String tx = request.getTxId();
      if (shouldFailPhaseTwo(tx)) {
        return Future.failedFuture(new StatusException(GrpcStatus.UNAVAILABLE, "scripted phase-2 failure"));
      }
      BranchState current = ledger.get(tx);
      if (current == BranchState.COMMITTED) {
        return Future.failedFuture(new StatusException(GrpcStatus.FAILED_PRECONDITION,
            "branch " + tx + " was committed; it cannot roll back"));
      }
      // Also for a branch never prepared: remembered, so a late prepare votes no.
      ledger.put(tx, BranchState.ROLLED_BACK);
      return Future.succeededFuture(BranchRollbackResponse.getDefaultInstance());
    }

    /** Each branch as its own Commit or Rollback (counted as such), answered in order. */
    @Override
    public Future<CompleteBranchesResponse> complete(CompleteBranchesRequest request) {
      completeCalls.incrementAndGet();
      List<Future<BranchCompletionResult>> results = new ArrayList<>();
      for (BranchCompletion b : request.getBranchesList()) {
        Future<?> done = b.getOutcome() == Outcome.OUTCOME_COMMITTED
            ? commit(BranchCommitRequest.newBuilder().setTxId(b.getTxId()).setParticipantId(b.getParticipantId())
                .build())
            : rollback(BranchRollbackRequest.newBuilder().setTxId(b.getTxId()).setParticipantId(b.getParticipantId())
                .build());
        results.add(done.transform(ar -> Future.succeededFuture(ar.succeeded()
            ? BranchCompletionResult.getDefaultInstance()
            : BranchCompletionResult.newBuilder().setStatus(((StatusException) ar.cause()).status().code)
                .setMessage(((StatusException) ar.cause()).message()).build())));
      }
      return Future.all(results).map(all -> CompleteBranchesResponse.newBuilder()
          .addAllResults(results.stream().map(Future::result).toList()).build());
    }

    /** Each branch as its own Prepare (counted as such), answered in order with its vote or its status. */
    @Override
    public Future<PrepareBranchesResponse> prepareBranches(PrepareBranchesRequest request) {
      prepareBatchCalls.incrementAndGet();
      List<Future<BranchPrepareResult>> results = new ArrayList<>();
      for (PrepareRequest b : request.getBranchesList()) {
        results.add(prepare(b).transform(ar -> Future.succeededFuture(ar.succeeded()
            ? BranchPrepareResult.newBuilder().setVote(ar.result().getVote()).setReason(ar.result().getReason())
                .build()
            : BranchPrepareResult.newBuilder().setStatus(((StatusException) ar.cause()).status().code)
                .setMessage(((StatusException) ar.cause()).message()).build())));
      }
      return Future.all(results).map(all -> PrepareBranchesResponse.newBuilder()
          .addAllResults(results.stream().map(Future::result).toList()).build());
    }

    private boolean shouldFailPhaseTwo(String tx) {
      return phaseTwoFailures.computeIfAbsent(tx, k -> new AtomicInteger()).getAndIncrement() < failPhaseTwoTimes;
    }

    private Future<PrepareResponse> vote(Vote vote, String reason) {
      return Future.succeededFuture(PrepareResponse.newBuilder().setVote(vote).setReason(reason).build());
    }
  }
}
