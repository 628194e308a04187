package io.pledge.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Following a leader over a list of members, with each member's answer scripted. */
class LeaderEndpointsTest {

  static final Endpoint A = Endpoint.parse("127.0.0.1:7001");
  static final Endpoint B = Endpoint.parse("127.0.0.1:7002");
  static final Endpoint C = Endpoint.parse("127.0.0.1:7003");

  final Vertx vertx = Vertx.vertx();
  final Map<Endpoint, AtomicInteger> calls = new ConcurrentHashMap<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  <T> T await(Future<T> f) throws Exception {
    CompletableFuture<T> c = new CompletableFuture<>();
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        c.complete(ar.result());
      } else {
        c.completeExceptionally(ar.cause());
      }
    });
    return c.get(20, TimeUnit.SECONDS);
  }

  Function<Endpoint, Future<String>> script(Map<Endpoint, Function<Endpoint, Future<String>>> members) {
    return e -> {
      calls.computeIfAbsent(e, k -> new AtomicInteger()).incrementAndGet();
      return members.get(e).apply(e);
    };
  }

  static Future<String> unavailable(String message) {
    return Future.failedFuture(new RpcException(GrpcStatus.UNAVAILABLE, message));
  }

  @Test
  void aFollowersHintLeadsStraightToTheLeaderWhichIsRememberedForTheNextCall() throws Exception {
    LeaderEndpoints leaders = LeaderEndpoints.of(vertx, List.of(A, B, C), Duration.ofSeconds(5));
    Function<Endpoint, Future<String>> call = script(Map.of(
        A, e -> unavailable("this coordinator is not the leader of its cluster; pledge-leader=" + C),
        B, e -> Future.failedFuture(new IllegalStateException("B must not be asked")),
        C, e -> Future.succeededFuture("ok from C")));
    assertEquals("ok from C", await(leaders.call(Duration.ofSeconds(1), call)));
    assertEquals(C, leaders.current());
    assertEquals("ok from C", await(leaders.call(Duration.ofSeconds(1), call)));
    assertEquals(1, calls.get(A).get(), "the second call went straight to the leader");
    assertEquals(null, calls.get(B));
  }

  @Test
  void anUnreachableOrSilentMemberIsSkippedAfterItsAttemptTimesOut() throws Exception {
    LeaderEndpoints leaders = LeaderEndpoints.of(vertx, List.of(A, B, C), Duration.ofSeconds(5));
    Function<Endpoint, Future<String>> call = script(Map.of(
        A, e -> Promise.<String>promise().future(),
        B, e -> unavailable("connection refused"),
        C, e -> Future.succeededFuture("ok from C")));
    assertEquals("ok from C", await(leaders.call(Duration.ofMillis(200), call)));
    assertEquals(List.of(1, 1, 1), List.of(calls.get(A).get(), calls.get(B).get(), calls.get(C).get()));
  }

  @Test
  void anyOtherAnswerIsTheCallersAndNothingIsRetried() throws Exception {
    LeaderEndpoints leaders = LeaderEndpoints.of(vertx, List.of(A, B), Duration.ofSeconds(5));
    Function<Endpoint, Future<String>> call = script(Map.of(
        A, e -> Future.failedFuture(new RpcException(GrpcStatus.FAILED_PRECONDITION, "transaction is COMMITTED")),
        B, e -> Future.succeededFuture("never")));
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> await(leaders.call(Duration.ofSeconds(1), call)));
    assertTrue(e.getCause().getMessage().contains("FAILED_PRECONDITION"), e.getCause().getMessage());
    assertEquals(null, calls.get(B));
  }

  @Test
  void withoutALeaderTheCallFailsOncePatienceRunsOut() throws Exception {
    LeaderEndpoints leaders = LeaderEndpoints.of(vertx, List.of(A, B), Duration.ofMillis(500));
    Function<Endpoint, Future<String>> call = script(Map.of(
        A, e -> unavailable("knows no leader yet"), B, e -> unavailable("knows no leader yet")));
    long start = System.nanoTime();
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> await(leaders.call(Duration.ofSeconds(1), call)));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(e.getCause().getMessage().startsWith("UNAVAILABLE"), e.getCause().getMessage());
    assertTrue(millis >= 400 && millis < 5_000, millis + " ms");
    assertTrue(calls.get(A).get() + calls.get(B).get() > 2, "retried with backoff, alternating");
  }

  @Test
  void hintsAreParsedFromTheStatusMessage() {
    assertEquals(Optional.of(Endpoint.parse("10.1.2.3:7400")),
        LeaderEndpoints.hint("UNAVAILABLE: not the leader; pledge-leader=10.1.2.3:7400"));
    assertEquals(Optional.empty(), LeaderEndpoints.hint("UNAVAILABLE: the coordinator is recovering its log"));
    assertEquals(Optional.empty(), LeaderEndpoints.hint("pledge-leader=nonsense"));
    assertEquals(List.of(A, B), LeaderEndpoints.parseList(" 127.0.0.1:7001,127.0.0.1:7002 "));
  }
}
