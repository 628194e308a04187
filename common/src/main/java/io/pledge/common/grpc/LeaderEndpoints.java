package io.pledge.common.grpc;

import io.pledge.common.retry.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Calls a coordinator cluster through whichever member leads, from a list of endpoints (pledge.v1 coordinator.proto,
 * "Coordinator cluster"): a call answered {@code UNAVAILABLE} with {@code pledge-leader=host:port} in its message
 * is made again at once at that leader; one answered {@code UNAVAILABLE} without it (a member that knows no leader,
 * or one that cannot be reached) or not answered within its deadline (a frozen or cut-off member keeps its
 * connections open) is made again at the next endpoint after a backoff with jitter, up to a deadline.
 * Every other answer, success or failure, is the caller's. The endpoint that answered last is remembered, so calls
 * go straight to the leader until it changes. A list of one endpoint behaves like a plain call that is retried
 * while the coordinator is unavailable. Thread-safe.
 *
 * <p>Only calls that may be repeated belong here (the coordinator's are: Begin at worst leaves an unused
 * transaction that times out; Enlist, Commit, Rollback and GetOutcome are idempotent).
 */
public final class LeaderEndpoints {

  /** The token a member puts before the leader's endpoint in its UNAVAILABLE message. */
  public static final String HINT = "pledge-leader=";
  public static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(15);
  private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(25), Duration.ofSeconds(1));

  private final Vertx vertx;
  private final List<Endpoint> endpoints;
  private final Duration patience;
  private final AtomicReference<Endpoint> current;

  private LeaderEndpoints(Vertx vertx, List<Endpoint> endpoints, Duration patience) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no coordinator endpoint given");
    }
    this.vertx = vertx;
    this.endpoints = List.copyOf(endpoints);
    this.patience = patience;
    this.current = new AtomicReference<>(endpoints.get(0));
  }

  /** @param patience how long a call keeps looking for a leader before it fails with the last answer */
  public static LeaderEndpoints of(Vertx vertx, List<Endpoint> endpoints, Duration patience) {
    return new LeaderEndpoints(vertx, endpoints, patience);
  }

  public static LeaderEndpoints of(Vertx vertx, List<Endpoint> endpoints) {
    return of(vertx, endpoints, DEFAULT_PATIENCE);
  }

  /** Parses {@code host:port[,host:port...]}. */
  public static List<Endpoint> parseList(String text) {
    List<Endpoint> list = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        list.add(Endpoint.parse(part.trim()));
      }
    }
    if (list.isEmpty()) {
      throw new IllegalArgumentException("no coordinator endpoint in '" + text + "'");
    }
    return list;
  }

  /** The leader's endpoint named in a status message, if any. */
  public static Optional<Endpoint> hint(String message) {
    if (message == null) {
      return Optional.empty();
    }
    int at = message.indexOf(HINT);
    if (at < 0) {
      return Optional.empty();
    }
    int end = at + HINT.length();
    while (end < message.length() && !Character.isWhitespace(message.charAt(end)) && message.charAt(end) != ';'
        && message.charAt(end) != ',') {
      end++;
    }
    try {
      return Optional.of(Endpoint.parse(message.substring(at + HINT.length(), end)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The endpoint calls go to first: the last one that answered, or the leader one named. */
  public Endpoint current() {
    return current.get();
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * Makes {@code call} against the leader (see the class comment); an attempt not answered within
   * {@code attemptTimeout} counts as DEADLINE_EXCEEDED. That is enforced here because the Vert.x gRPC client only
   * sends the deadline to the server: a frozen server (SIGSTOP, a stalled VM) keeps its connection and would never
   * answer.
   */
  public <T> Future<T> call(Duration attemptTimeout, Function<Endpoint, Future<T>> call) {
    Promise<T> result = Promise.promise();
    attempt(call, attemptTimeout.toMillis(), current.get(), 0, System.nanoTime() + patience.toNanos(), result);
    return result.future();
  }

  private <T> void attempt(Function<Endpoint, Future<T>> call, long attemptMillis, Endpoint target, int failures,
      long deadlineNanos, Promise<T> result) {
    Promise<T> attempt = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, attemptMillis), t -> attempt.tryFail(
        new RpcException(GrpcStatus.DEADLINE_EXCEEDED, "no answer from " + target + " in " + attemptMillis + " ms")));
    try {
      call.apply(target).onComplete(ar -> {
        vertx.cancelTimer(timer);
        if (ar.succeeded()) {
          attempt.tryComplete(ar.result());
        } else {
          attempt.tryFail(ar.cause());
        }
      });
    } catch (RuntimeException e) {
      vertx.cancelTimer(timer);
      attempt.tryFail(e);
    }
    attempt.future().onComplete(ar -> {
      if (ar.succeeded()) {
        current.set(target);
        result.complete(ar.result());
        return;
      }
      RpcException e = Rpc.toRpcException(ar.cause());
      boolean elsewhere = e.status() == GrpcStatus.UNAVAILABLE || e.status() == GrpcStatus.DEADLINE_EXCEEDED;
      if (!elsewhere || System.nanoTime() >= deadlineNanos) {
        if (!elsewhere) {
          current.set(target);
        }
        result.fail(ar.cause());
        return;
      }
      Optional<Endpoint> leader = hint(e.getMessage()).filter(h -> !h.equals(target));
      if (leader.isPresent() && failures < 2 * endpoints.size() + 4) {
        current.set(leader.get());
        attempt(call, attemptMillis, leader.get(), failures + 1, deadlineNanos, result);
        return;
      }
      Endpoint next = endpoints.get((Math.max(0, endpoints.indexOf(target)) + 1) % endpoints.size());
      // Only if no other call found a better endpoint meanwhile.
      current.compareAndSet(target, next);
      long delay = Math.max(1, BACKOFF.jittered(failures, ThreadLocalRandom.current()).toMillis());
      vertx.setTimer(delay, t -> attempt(call, attemptMillis, next, failures + 1, deadlineNanos, result));
    });
  }
}
