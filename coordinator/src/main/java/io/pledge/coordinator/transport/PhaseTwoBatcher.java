package io.pledge.coordinator.transport;

import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchCompletionResult;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.common.grpc.RpcException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Natural batching of phase-2 calls: decisions bound for one participant endpoint go out at once when no call to
 * it is in flight, and pile up while one is; the next call carries everything that piled up (at most
 * {@link #MAX_BATCH}). Nothing ever waits to fill a batch, so a lone decision costs what a single call costs, and
 * under load one round trip completes many branches: the participant endpoint sees far fewer calls per transaction.
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

  private static final class Queue {
    final ArrayDeque<Item> waiting = new ArrayDeque<>();
    boolean inFlight;
  }

  private final Context context;
  private final Sender sender;
  private final Single fallback;
  private final Map<String, Queue> queues = new HashMap<>();
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
    Queue queue = queues.computeIfAbsent(endpoint, e -> new Queue());
    Promise<Void> done = Promise.promise();
    queue.waiting.add(new Item(branch, timeout, done));
    drain(endpoint, queue);
    return done.future();
  }

  private void drain(String endpoint, Queue queue) {
    if (queue.inFlight || queue.waiting.isEmpty()) {
      if (queue.waiting.isEmpty() && !queue.inFlight) {
        queues.remove(endpoint); // endpoints come and go: keep only the busy ones
      }
      return;
    }
    List<Item> batch = new ArrayList<>(Math.min(MAX_BATCH, queue.waiting.size()));
    CompleteBranchesRequest.Builder request = CompleteBranchesRequest.newBuilder();
    Duration timeout = Duration.ZERO;
    while (batch.size() < MAX_BATCH && !queue.waiting.isEmpty()) {
      Item item = queue.waiting.poll();
      batch.add(item);
      request.addBranches(item.branch());
      timeout = item.timeout().compareTo(timeout) > 0 ? item.timeout() : timeout;
    }
    queue.inFlight = true;
    sender.send(endpoint, request.build(), timeout).onComplete(ar -> context.runOnContext(v -> {
      queue.inFlight = false;
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
        batch.forEach(item -> fallback.send(endpoint, item.branch(), item.timeout()).onComplete(item.done()));
        queue.waiting.forEach(item -> fallback.send(endpoint, item.branch(), item.timeout()).onComplete(item.done()));
        queue.waiting.clear();
        queues.remove(endpoint);
        unsupported.add(endpoint);
        return;
      } else {
        Throwable failure = ar.failed() ? ar.cause() : new RpcException(GrpcStatus.INTERNAL,
            "participant answered " + ar.result().getResultsCount() + " results for " + batch.size() + " branches");
        batch.forEach(item -> item.done().tryFail(failure));
      }
      drain(endpoint, queue);
    }));
  }
}
