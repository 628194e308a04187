package io.pledge.coordinator.transport;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
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
 * Natural batching of calls to participant endpoints, shared by phase 1 ({@code PrepareBranches}) and phase 2
 * ({@code Complete}): the items for one endpoint submitted in the same turn of the coordinator's event loop go out
 * in one call, sent at the end of that turn. Work comes in bursts (a burst of client Commits, a group commit that
 * decides many transactions at once), so under load one round trip carries many branches, while a lone item still
 * goes out at once: nothing waits for a batch to fill, and nothing waits for an earlier call either (a branch the
 * participant is slow on holds back only the call it travels in, never the items after it).
 *
 * <p>Each item keeps its own result: the participant answers every item as its own single call would end, and a
 * failed item, or a failed call (every item in it), fails that item's future, which the protocol treats as it
 * treats a failed single call. A participant that answers UNIMPLEMENTED (it predates the batched rpc) gets single
 * calls from then on.
 *
 * <p>Patience (optional, for Prepare): a participant answers a batch once every item in it is done, so one item it
 * is slow on holds back the others' answers. A batch that takes longer than {@code patience} is given up on, and
 * each of its items goes again alone with what is left of its own timeout; the participant answers repeated items
 * idempotently (a prepared branch votes yes again), so the others' answers come at once and only the slow item
 * waits for itself, as it would have without batching. Without it, a branch whose prepare waits for a row lock held
 * by another transaction of the same batch would hold back that transaction's vote, and so the lock, until the
 * prepare timeout aborted both.
 *
 * <p>Threading: the queues are touched only on {@code context} (the coordinator's); callers may be anywhere.
 *
 * @param <I> one item (a branch's request), field 1 ({@code repeated ... branches = 1}) of the batched request
 * @param <R> one item's answer
 */
final class EndpointBatcher<I extends MessageLite, R> {

  /**
   * Sends one batch to an endpoint; on success, one result per item in their order (a failed result is that item's
   * failure, for instance an {@link RpcException} with the status its single call would have ended with).
   */
  interface Sender<I, R> {
    Future<List<AsyncResult<R>>> send(String endpoint, List<I> items, Duration timeout);
  }

  /** Sends one item as its own call. */
  interface Single<I, R> {
    Future<R> send(String endpoint, I item, Duration timeout);
  }

  /** Most branches per call (the participant accepts up to 1024). */
  static final int MAX_BATCH = 256;

  /**
   * Most bytes of items in one call: under the participant SDK's 16 KiB message limit
   * ({@code ParticipantNode.MAX_MESSAGE_BYTES}) with room for the call-session frame around the request. Found by
   * the SDK's tests: the count alone does not bound a call's size (256 branches whose ids are 60 characters long
   * make about 17 KiB, and ids may be up to 384 characters).
   */
  static final int MAX_BATCH_BYTES = 15 * 1024;

  private record Item<I, R>(I item, Duration timeout, Promise<R> done) {}

  private final Context context;
  private final Sender<I, R> sender;
  private final Single<I, R> fallback;
  /** How long a batch may take before its items go alone; null: as long as the items' own timeouts. */
  private final Duration patience;
  /** Items waiting for the end of this turn, per endpoint. */
  private final Map<String, List<Item<I, R>>> pending = new HashMap<>();
  /** Endpoints that answered UNIMPLEMENTED: they get single calls. */
  private final Set<String> unsupported = new HashSet<>();

  EndpointBatcher(Context context, Sender<I, R> sender, Single<I, R> fallback) {
    this(context, sender, fallback, null);
  }

  /** @param patience how long a batch may take before its items go again alone (see the class comment) */
  EndpointBatcher(Context context, Sender<I, R> sender, Single<I, R> fallback, Duration patience) {
    this.context = context;
    this.sender = sender;
    this.fallback = fallback;
    this.patience = patience;
  }

  /** Queues {@code item} for {@code endpoint}; completes with the participant's answer to it. */
  Future<R> submit(String endpoint, I item, Duration timeout) {
    // Always through the context's task queue: from the coordinator's own thread that is a cheap local hand-off,
    // and it keeps the queues single-threaded whoever calls.
    Promise<R> done = Promise.promise();
    context.runOnContext(v -> enqueue(endpoint, item, timeout).onComplete(done));
    return done.future();
  }

  private Future<R> enqueue(String endpoint, I item, Duration timeout) {
    if (unsupported.contains(endpoint)) {
      return fallback.send(endpoint, item, timeout);
    }
    Promise<R> done = Promise.promise();
    pending.computeIfAbsent(endpoint, e -> {
      // The first item of this turn for the endpoint: send after the tasks already queued (this turn's).
      context.runOnContext(v -> flush(endpoint));
      return new ArrayList<>();
    }).add(new Item<>(item, timeout, done));
    return done.future();
  }

  private void flush(String endpoint) {
    List<Item<I, R>> items = pending.remove(endpoint);
    int from = 0;
    int bytes = 0;
    for (int i = 0; i < items.size(); i++) {
      // As encoded in the request (field 1); an item larger than the cap still goes, alone.
      int size = CodedOutputStream.computeMessageSize(1, items.get(i).item());
      if (i > from && (i - from == MAX_BATCH || bytes + size > MAX_BATCH_BYTES)) {
        send(endpoint, items.subList(from, i));
        from = i;
        bytes = 0;
      }
      bytes += size;
    }
    send(endpoint, items.subList(from, items.size()));
  }

  private void send(String endpoint, List<Item<I, R>> batch) {
    List<I> requests = new ArrayList<>(batch.size());
    Duration timeout = Duration.ZERO;
    for (Item<I, R> item : batch) {
      requests.add(item.item());
      // The call must not give up on an item before that item's own timeout would have.
      timeout = item.timeout().compareTo(timeout) > 0 ? item.timeout() : timeout;
    }
    boolean impatient = patience != null && patience.compareTo(timeout) < 0;
    sender.send(endpoint, requests, impatient ? patience : timeout).onComplete(ar -> {
      // A call session answers on the caller's context, which is this one: hop only when the answer is elsewhere.
      if (Vertx.currentContext() == context) {
        settle(endpoint, batch, ar, impatient);
      } else {
        context.runOnContext(v -> settle(endpoint, batch, ar, impatient));
      }
    });
  }

  private void settle(String endpoint, List<Item<I, R>> batch, AsyncResult<List<AsyncResult<R>>> ar,
      boolean impatient) {
    if (impatient && ar.failed() && ar.cause() instanceof RpcException e
        && e.status() == GrpcStatus.DEADLINE_EXCEEDED) {
      // Out of patience: each item alone, with what is left of its own timeout; none waits for another now.
      for (Item<I, R> item : batch) {
        Duration left = item.timeout().minus(patience);
        if (left.isNegative() || left.isZero()) {
          item.done().tryFail(e);
        } else {
          fallback.send(endpoint, item.item(), left).onComplete(item.done());
        }
      }
    } else if (ar.succeeded() && ar.result().size() == batch.size()) {
      for (int i = 0; i < batch.size(); i++) {
        AsyncResult<R> r = ar.result().get(i);
        if (r.succeeded()) {
          batch.get(i).done().tryComplete(r.result());
        } else {
          batch.get(i).done().tryFail(r.cause());
        }
      }
    } else if (ar.failed() && ar.cause() instanceof RpcException e && e.status() == GrpcStatus.UNIMPLEMENTED) {
      unsupported.add(endpoint);
      batch.forEach(item -> fallback.send(endpoint, item.item(), item.timeout()).onComplete(item.done()));
    } else {
      Throwable failure = ar.failed() ? ar.cause() : new RpcException(GrpcStatus.INTERNAL,
          "participant answered " + ar.result().size() + " results for " + batch.size() + " branches");
      batch.forEach(item -> item.done().tryFail(failure));
    }
  }

  /** An item's failure as its single call would have failed: the status and message the participant gave it. */
  static RpcException itemFailure(int code, String message) {
    GrpcStatus status = GrpcStatus.valueOf(code);
    return new RpcException(status == null ? GrpcStatus.UNKNOWN : status, message);
  }
}
