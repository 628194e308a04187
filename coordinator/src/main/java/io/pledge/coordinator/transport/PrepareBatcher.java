package io.pledge.coordinator.transport;

import io.pledge.api.v1.BranchPrepareResult;
import io.pledge.api.v1.PrepareBranchesRequest;
import io.pledge.api.v1.PrepareBranchesResponse;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Batching of Prepare calls: the Prepares for one participant endpoint issued in the same turn of the coordinator's
 * event loop go out in one {@code PrepareBranches} call at the end of that turn ({@link EndpointBatcher}). Under
 * load the client Commits that arrive together start their phase 1 together, so one round trip carries many
 * branches' prepares; a lone Prepare still goes out in the turn it was issued, so a client waits no longer for it.
 *
 * <p>Each branch keeps its own answer: its vote, or the status its single Prepare would have failed with. A failed
 * item or a failed call fails those branches' prepares, which the protocol counts as a missing vote (the
 * transaction aborts), as it does a failed single call. A participant that answers UNIMPLEMENTED gets single
 * Prepare calls from then on.
 *
 * <p>Threading: the queues are touched only on {@code context} (the coordinator's); callers may be anywhere.
 */
final class PrepareBatcher {

  /**
   * How long a batch may take before its branches are prepared again one by one ({@link EndpointBatcher}'s
   * patience): a batch is answered in milliseconds (one group commit at the participant), so this is only ever
   * reached when one branch in it waits for something, such as a lock another branch of the batch holds.
   */
  static final Duration PATIENCE = Duration.ofSeconds(1);

  /** Sends one batch to an endpoint. */
  interface Sender {
    Future<PrepareBranchesResponse> send(String endpoint, PrepareBranchesRequest request, Duration timeout);
  }

  /** Sends one branch's Prepare as its own call. */
  interface Single {
    Future<PrepareResponse> send(String endpoint, PrepareRequest branch, Duration timeout);
  }

  private final EndpointBatcher<PrepareRequest, PrepareResponse> batcher;

  PrepareBatcher(Context context, Sender sender, Single fallback) {
    this.batcher = new EndpointBatcher<>(context,
        (endpoint, branches, timeout) -> sender.send(endpoint,
            PrepareBranchesRequest.newBuilder().addAllBranches(branches).build(), timeout)
            .map(PrepareBatcher::results),
        fallback::send, PATIENCE);
  }

  /** Queues one branch's Prepare for {@code endpoint}; completes with the participant's vote. */
  Future<PrepareResponse> prepare(String endpoint, String txId, String participantId, Duration timeout) {
    PrepareRequest branch = PrepareRequest.newBuilder().setTxId(txId).setParticipantId(participantId).build();
    return batcher.submit(endpoint, branch, timeout);
  }

  private static List<AsyncResult<PrepareResponse>> results(PrepareBranchesResponse response) {
    List<AsyncResult<PrepareResponse>> results = new ArrayList<>(response.getResultsCount());
    for (BranchPrepareResult r : response.getResultsList()) {
      results.add(r.getStatus() == GrpcStatus.OK.code
          ? Future.succeededFuture(PrepareResponse.newBuilder().setVote(r.getVote()).setReason(r.getReason()).build())
          : Future.failedFuture(EndpointBatcher.itemFailure(r.getStatus(), r.getMessage())));
    }
    return results;
  }
}
