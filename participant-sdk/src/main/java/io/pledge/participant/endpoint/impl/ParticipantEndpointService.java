package io.pledge.participant.endpoint.impl;

import io.pledge.api.v1.BranchCommitRequest;
import io.pledge.api.v1.BranchCommitResponse;
import io.pledge.api.v1.BranchRollbackRequest;
import io.pledge.api.v1.BranchRollbackResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.ParticipantService;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.common.grpc.Rpc;
import io.pledge.participant.log.BranchRecord;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;

/**
 * The gRPC edge of the participant: validates requests, converts protobuf to engine calls and back, and maps
 * failures onto statuses (INVALID_ARGUMENT for a malformed request, NOT_FOUND for a participant this endpoint does
 * not serve, FAILED_PRECONDITION for a call the branch's state forbids, UNAVAILABLE for anything else: the
 * coordinator retries phase 2).
 */
public final class ParticipantEndpointService extends ParticipantService {

  private final BranchEngine engine;

  public ParticipantEndpointService(BranchEngine engine) {
    this.engine = engine;
  }

  @Override
  public Future<PrepareResponse> prepare(PrepareRequest request) {
    String bad = invalid(request.getTxId(), request.getParticipantId());
    if (bad != null) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, bad);
    }
    return mapErrors(engine.prepare(request.getTxId(), request.getParticipantId())
        .map(vote -> PrepareResponse.newBuilder().setVote(toProto(vote.kind())).setReason(vote.reason()).build()));
  }

  @Override
  public Future<BranchCommitResponse> commit(BranchCommitRequest request) {
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
    String bad = invalid(request.getTxId(), request.getParticipantId());
    if (bad != null) {
      return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, bad);
    }
    return mapErrors(engine.rollback(request.getTxId(), request.getParticipantId())
        .map(v -> BranchRollbackResponse.getDefaultInstance()));
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
