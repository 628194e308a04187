package io.pledge.coordinator.transport;

import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Batching of phase-2 calls: the decisions for one participant endpoint that are made in the same turn of the
 * coordinator's event loop go out in one {@code Complete} call, sent at the end of that turn. Decisions come in
 * bursts (a group commit completes many commit records at once), so under load one round trip completes many
 * branches, and a lone decision still goes out at once: nothing waits for a batch to fill, and nothing waits for an
 * earlier call either (a branch the participant is slow to finish holds back only the call it travels in, never
 * the decisions after it).
 *
 * <p>Each branch keeps its own outcome: the participant answers every item as its own Commit or Rollback would end,
 * and a failed item (or a failed call) fails that item's future, which the protocol retries like any phase-2
 * failure. A participant that answers UNIMPLEMENTED gets single calls from then on ({@code fallback}).
 *
 * <p>The batching itself is {@link EndpointBatcher}'s (shared with Prepare); this class is its phase-2 wire form.
 *
 * <p>Threading: the queues are touched only on {@code context} (the coordinator's); callers may be anywhere.
 */
final class PhaseTwoBatcher {

  /** Sends one batch to an endpoint. */
  interface Sender {
    Future<CompleteBranchesResponse> send(String endpoint, CompleteBranchesRequest request, Duration timeout);
  }

  /** Sends one branch's decision as its own Commit or Rollback call. */
  interface Single {
    Future<Void> send(String endpoint, BranchCompletion branch, Duration timeout);
  }

  private final EndpointBatcher<BranchCompletion, Void> batcher;

  PhaseTwoBatcher(Context context, Sender sender, Single fallback) {
    this.batcher = new EndpointBatcher<>(context,
        (endpoint, branches, timeout) -> sender.send(endpoint,
            CompleteBranchesRequest.newBuilder().addAllBranches(branches).build(), timeout)
            .map(PhaseTwoBatcher::results),
        fallback::send);
  }

  /** Queues one branch's phase-2 decision for {@code endpoint}; completes once the participant acknowledged it. */
  Future<Void> complete(String endpoint, String txId, String participantId, boolean commit, Duration timeout) {
    BranchCompletion branch = BranchCompletion.newBuilder().setTxId(txId).setParticipantId(participantId)
        .setOutcome(commit ? Outcome.OUTCOME_COMMITTED : Outcome.OUTCOME_ABORTED).build();
    return batcher.submit(endpoint, branch, timeout);
  }

  private static List<AsyncResult<Void>> results(CompleteBranchesResponse response) {
    List<AsyncResult<Void>> results = new ArrayList<>(response.getResultsCount());
    for (BranchCompletionResult r : response.getResultsList()) {
      results.add(r.getStatus() == GrpcStatus.OK.code ? Future.succeededFuture()
          : Future.failedFuture(EndpointBatcher.itemFailure(r.getStatus(), r.getMessage())));
    }
    return results;
  }
}
