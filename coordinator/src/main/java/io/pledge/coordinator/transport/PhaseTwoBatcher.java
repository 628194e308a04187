package io.pledge.coordinator.transport;

import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.common.grpc.RpcException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * <p>Threading: the queues are touched only on {@code context} (the coordinator's); callers may be anywhere.
 */
final class PhaseTwoBatcher {

  /** Most branches per call (the participant accepts up to 1024). */
  static final int MAX_BATCH = 256;

  /** Sends one batch to an endpoint. */
  interface Sender {
    Future<CompleteBranchesResponse> send(String endpoint, CompleteBranchesRequest request, Duration timeout);
  }

  /** Sends one branch's decision as its own Commit or Rollback call. */
  interface Single {
    Future<Void> send(String endpoint, BranchCompletion branch, Duration timeout);
  }

  private record Item(BranchCompletion branch, Duration timeout, Promise<Void> done) {}

  private final Context context;
  private final Sender sender;
  private final Single fallback;
  /** Decisions waiting for the end of this turn, per endpoint. */
  private final Map<String, List<Item>> pending = new HashMap<>();
  /** Endpoints that answered UNIMPLEMENTED: they get single calls. */
  private final Set<String> unsupported = new HashSet<>();

  PhaseTwoBatcher(Context context, Sender sender, Single fallback) {
    this.context = context;
    this.sender = sender;
    this.fallback = fallback;
  }

  /** Queues one branch's phase-2 decision for {@code endpoint}; completes once the participant acknowledged it. */
  Future<Void> complete(String endpoint, String txId, String participantId, boolean commit, Duration timeout) {
    BranchCompletion branch = BranchCompletion.newBuilder().setTxId(txId).setParticipantId(participantId)
        .setOutcome(commit ? Outcome.OUTCOME_COMMITTED : Outcome.OUTCOME_ABORTED).build();
    // Always through the context's task queue: from the coordinator's own thread that is a cheap local hand-off,
    // and it keeps the queues single-threaded whoever calls.
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> enqueue(endpoint, branch, timeout).onComplete(done));
    return done.future();
  }

  private Future<Void> enqueue(String endpoint, BranchCompletion branch, Duration timeout) {
    if (unsupported.contains(endpoint)) {
      return fallback.send(endpoint, branch, timeout);
    }
    Promise<Void> done = Promise.promise();
    pending.computeIfAbsent(endpoint, e -> {
      // The first decision of this turn for the endpoint: send after the tasks already queued (this turn's).
      context.runOnContext(v -> flush(endpoint));
      return new ArrayList<>();
    }).add(new Item(branch, timeout, done));
    return done.future();
  }

  private void flush(String endpoint) {
    List<Item> items = pending.remove(endpoint);
    for (int from = 0; from < items.size(); from += MAX_BATCH) {
      send(endpoint, items.subList(from, Math.min(items.size(), from + MAX_BATCH)));
    }
  }

  private void send(String endpoint, List<Item> batch) {
    CompleteBranchesRequest.Builder request = CompleteBranchesRequest.newBuilder();
    Duration timeout = Duration.ZERO;
    for (Item item : batch) {
      request.addBranches(item.branch());
      timeout = item.timeout().compareTo(timeout) > 0 ? item.timeout() : timeout;
    }
    sender.send(endpoint, request.build(), timeout).onComplete(ar -> {
      // A call session answers on the caller's context, which is this one: hop only when the answer is elsewhere.
      if (Vertx.currentContext() == context) {
        settle(endpoint, batch, ar);
      } else {
        context.runOnContext(v -> settle(endpoint, batch, ar));
      }
    });
  }

  private void settle(String endpoint, List<Item> batch, AsyncResult<CompleteBranchesResponse> ar) {
    if (ar.succeeded() && ar.result().getResultsCount() == batch.size()) {
      for (int i = 0; i < batch.size(); i++) {
        BranchCompletionResult r = ar.result().getResults(i);
        if (r.getStatus() == GrpcStatus.OK.code) {
          batch.get(i).done().tryComplete();
        } else {
          GrpcStatus status = GrpcStatus.valueOf(r.getStatus());
          batch.get(i).done().tryFail(new RpcException(status == null ? GrpcStatus.UNKNOWN : status,
              r.getMessage()));
        }
      }
    } else if (ar.failed() && ar.cause() instanceof RpcException e && e.status() == GrpcStatus.UNIMPLEMENTED) {
      unsupported.add(endpoint);
      batch.forEach(item -> fallback.send(endpoint, item.branch(), item.timeout()).onComplete(item.done()));
    } else {
      Throwable failure = ar.failed() ? ar.cause() : new RpcException(GrpcStatus.INTERNAL,
          "participant answered " + ar.result().getResultsCount() + " results for " + batch.size() + " branches");
      batch.forEach(item -> item.done().tryFail(failure));
    }
  }
}
