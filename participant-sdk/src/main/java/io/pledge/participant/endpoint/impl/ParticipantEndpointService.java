package io.pledge.participant.endpoint.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import io.pledge.api.v1.BranchCommitRequest;
import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.BranchPrepareResult;
import io.pledge.api.v1.BranchCommitResponse;
import io.pledge.api.v1.BranchRollbackRequest;
import io.pledge.api.v1.BranchRollbackResponse;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ParticipantService;
import io.pledge.api.v1.PrepareBranchesRequest;
import io.pledge.api.v1.PrepareBranchesResponse;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.common.grpc.Rpc;
import io.pledge.participant.log.BranchRecord;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.ArrayList;
import java.util.List;

/**
 * The gRPC edge of the participant: validates requests, converts protobuf to engine calls and back, and maps
 * failures onto statuses (INVALID_ARGUMENT for a malformed request, NOT_FOUND for a participant this endpoint does
 * not serve, FAILED_PRECONDITION for a call the branch's state forbids, UNAVAILABLE for anything else: the
 * coordinator retries phase 2).
 */
public final class ParticipantEndpointService extends ParticipantService {

  /** Most branches one Complete call may carry (the coordinator sends at most this many). */
  public static final int MAX_COMPLETIONS = 1024;

  /** Most branches one PrepareBranches call may carry (the coordinator sends at most this many). */
  public static final int MAX_PREPARES = 1024;

  /**
   * Calls of the Participant service served, by rpc (bounded: the five below; a batched call counts once), and the Enlist calls this participant
   * made ({@code rpc="Enlist"}, counted by the node): what a transaction costs in calls, as the bench reports it.
   */
  public static final String CALLS = "pledge.participant.rpc.calls";

  private final BranchEngine engine;
  private final Counter prepares;
  private final Counter commits;
  private final Counter rollbacks;
  private final Counter completes;
  private final Counter prepareBatches;

  public ParticipantEndpointService(BranchEngine engine) {
    this(engine, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }

  public ParticipantEndpointService(BranchEngine engine, MeterRegistry registry) {
    this.engine = engine;
    this.prepares = calls(registry, "Prepare");
    this.commits = calls(registry, "Commit");
    this.rollbacks = calls(registry, "Rollback");
    this.completes = calls(registry, "Complete");
    this.prepareBatches = calls(registry, "PrepareBranches");
  }

  /** The counter of {@link #CALLS} for {@code rpc}. */
  public static Counter calls(MeterRegistry registry, String rpc) {
    return Counter.builder(CALLS).tag("rpc", rpc)
        .description("Participant calls served by rpc, and Enlist calls made to the coordinator").register(registry);
  }

  @Override
  public Future<PrepareResponse> prepare(PrepareRequest request) {
    prepares.increment();
    return prepareOne(request);
  }

  /** One branch's Prepare, whether it came alone or in a batch: the same checks, the same engine call. */
  private Future<PrepareResponse> prepareOne(PrepareRequest request) {
    String bad = invalid(request.getTxId(), request.getParticipantId());
    if (bad != null) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, bad);
    }
    return mapErrors(engine.prepare(request.getTxId(), request.getParticipantId())
        .map(vote -> PrepareResponse.newBuilder().setVote(toProto(vote.kind())).setReason(vote.reason()).build()));
  }

  @Override
  public Future<PrepareBranchesResponse> prepareBranches(PrepareBranchesRequest request) {
    prepareBatches.increment();
    int n = request.getBranchesCount();
    if (n == 0 || n > MAX_PREPARES) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, "a PrepareBranches call carries 1.." + MAX_PREPARES
          + " branches, got " + n);
    }
    // Every branch as its own Prepare would go, all at once (their forced records share the log's group commit); a
    // malformed or failing branch is its own result, not the call's: the other transactions are not its fault.
    List<Future<BranchPrepareResult>> results = new ArrayList<>(n);
    for (PrepareRequest b : request.getBranchesList()) {
      results.add(prepareOne(b).transform(ar -> Future.succeededFuture(ar.succeeded()
          ? BranchPrepareResult.newBuilder().setVote(ar.result().getVote()).setReason(ar.result().getReason()).build()
          : BranchPrepareResult.newBuilder().setStatus(status(ar.cause()).code).setMessage(message(ar.cause()))
              .build())));
    }
    return Future.all(results).map(all -> PrepareBranchesResponse.newBuilder()
        .addAllResults(results.stream().map(Future::result).toList()).build());
  }

  @Override
  public Future<BranchCommitResponse> commit(BranchCommitRequest request) {
    commits.increment();
    String bad = invalid(request.getTxId(), request.getParticipantId());
    if (bad != null) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, bad);
    }
    return mapErrors(engine.commit(request.getTxId(), request.getParticipantId(), request.getOnePhase())
        .map(committed -> BranchCommitResponse.newBuilder()
            .setOutcome(committed ? Outcome.OUTCOME_COMMITTED : Outcome.OUTCOME_ABORTED)
            .setReason(committed ? "" : "the branch rolled back instead of committing")
            .build()));
  }

  @Override
  public Future<BranchRollbackResponse> rollback(BranchRollbackRequest request) {
    rollbacks.increment();
    String bad = invalid(request.getTxId(), request.getParticipantId());
    if (bad != null) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, bad);
    }
    return mapErrors(engine.rollback(request.getTxId(), request.getParticipantId())
        .map(v -> BranchRollbackResponse.getDefaultInstance()));
  }

  @Override
  public Future<CompleteBranchesResponse> complete(CompleteBranchesRequest request) {
    completes.increment();
    int n = request.getBranchesCount();
    if (n == 0 || n > MAX_COMPLETIONS) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, "a Complete call carries 1.." + MAX_COMPLETIONS + " branches, got "
          + n);
    }
    for (int i = 0; i < n; i++) {
      BranchCompletion b = request.getBranches(i);
      String bad = invalid(b.getTxId(), b.getParticipantId());
      if (bad == null && b.getOutcome() != Outcome.OUTCOME_COMMITTED && b.getOutcome() != Outcome.OUTCOME_ABORTED) {
        bad = "outcome must be OUTCOME_COMMITTED or OUTCOME_ABORTED, got " + b.getOutcome();
      }
      if (bad != null) {
        return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, "branch " + i + ": " + bad);
      }
    }
    // Every branch as its own call would go; one branch's failure is its own result, not the call's.
    List<Future<BranchCompletionResult>> results = new ArrayList<>(n);
    for (BranchCompletion b : request.getBranchesList()) {
      Future<Void> done = b.getOutcome() == Outcome.OUTCOME_COMMITTED
          ? engine.commit(b.getTxId(), b.getParticipantId(), false).mapEmpty()
          : engine.rollback(b.getTxId(), b.getParticipantId());
      results.add(mapErrors(done).transform(ar -> Future.succeededFuture(ar.succeeded()
          ? BranchCompletionResult.getDefaultInstance()
          : BranchCompletionResult.newBuilder().setStatus(status(ar.cause()).code).setMessage(message(ar.cause()))
              .build())));
    }
    return Future.all(results).map(all -> CompleteBranchesResponse.newBuilder()
        .addAllResults(results.stream().map(Future::result).toList()).build());
  }

  /** The status a failed branch of a batch is answered with: what its single call would have ended with. */
  private static GrpcStatus status(Throwable failure) {
    return failure instanceof StatusException e ? e.status() : GrpcStatus.UNAVAILABLE;
  }

  private static String message(Throwable failure) {
    return failure instanceof StatusException e ? e.message() : BranchEngine.describe(failure);
  }

  private static String invalid(String txId, String participantId) {
    if (txId.isBlank()) {
      return "tx_id is empty";
    }
    if (txId.length() > BranchRecord.MAX_TX_ID) {
      return "tx_id is longer than " + BranchRecord.MAX_TX_ID + " characters";
    }
    if (participantId.isBlank()) {
      return "participant_id is empty";
    }
    if (participantId.length() > BranchRecord.MAX_PARTICIPANT_ID) {
      return "participant_id is longer than " + BranchRecord.MAX_PARTICIPANT_ID + " characters";
    }
    return null;
  }

  private static <T> Future<T> mapErrors(Future<T> future) {
    return future.recover(failure -> {
      if (failure instanceof BranchEngine.UnknownParticipant) {
        return Rpc.fail(GrpcStatus.NOT_FOUND, failure.getMessage());
      }
      if (failure instanceof BranchEngine.RejectedCall) {
        return Rpc.fail(GrpcStatus.FAILED_PRECONDITION, failure.getMessage());
      }
      return Rpc.fail(GrpcStatus.UNAVAILABLE, BranchEngine.describe(failure));
    });
  }

  private static io.pledge.api.v1.Vote toProto(Vote.Kind kind) {
    return switch (kind) {
      case YES -> io.pledge.api.v1.Vote.VOTE_YES;
      case NO -> io.pledge.api.v1.Vote.VOTE_NO;
      case READ_ONLY -> io.pledge.api.v1.Vote.VOTE_READ_ONLY;
    };
  }
}
