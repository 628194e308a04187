package io.pledge.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Call sessions against a real gRPC server on loopback: each call answered as its unary form would be. */
class CallSessionsTest {

  static final ServiceName SERVICE = ServiceName.create("test", "Echo");
  static final ServiceMethod<StringValue, StringValue> SAY = ServiceMethod.server(SERVICE, "Say",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StringValue.newBuilder()));
  static final ServiceMethod<StringValue, StringValue> SAY_CLIENT = ServiceMethod.client(SERVICE, "Say",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StringValue.newBuilder()));
  static final ServiceMethod<StringValue, StringValue> SHOUT = ServiceMethod.server(SERVICE, "Shout",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StringValue.newBuilder()));
  static final ServiceMethod<StringValue, StringValue> SHOUT_CLIENT = ServiceMethod.client(SERVICE, "Shout",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StringValue.newBuilder()));
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  Vertx vertx;
  HttpServer server;
  CallSessions calls;
  final AtomicInteger unaryCalls = new AtomicInteger();
  final AtomicInteger sessionCalls = new AtomicInteger();
  /** What the server does with a request; an echo unless a test says otherwise. */
  volatile Function<String, Future<String>> behaviour = Future::succeededFuture;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    calls = new CallSessions(vertx, new HttpClientOptions());
  }

  @AfterEach
  void stop() throws Exception {
    calls.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A server offering Say unary, and over sessions when {@code sessions} says so. */
  SocketAddress serve(boolean sessions, int port) throws Exception {
    GrpcServer grpc = GrpcServer.server(vertx);
    grpc.callHandler(SAY, call -> call.handler(msg -> {
      unaryCalls.incrementAndGet();
      handle(msg).onComplete(ar -> {
        if (ar.succeeded()) {
          call.response().end(ar.result());
        } else {
          call.response().fail(ar.cause());
        }
      });
    }));
    CallSessionService service = new CallSessionService();
    if (sessions) {
      service.serve(SAY, msg -> {
        sessionCalls.incrementAndGet();
        return handle(msg);
      });
    }
    service.bindTo(grpc);
    server = vertx.createHttpServer().requestHandler(grpc).listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    return SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
  }

  Future<StringValue> handle(StringValue msg) {
    return behaviour.apply(msg.getValue()).map(StringValue::of);
  }

  String say(SocketAddress address, String text) throws Exception {
    return calls.call(address, SAY_CLIENT, StringValue.of(text), TIMEOUT).await(20, TimeUnit.SECONDS).getValue();
  }

  RpcException failure(Future<?> call) {
    Exception e = assertThrows(Exception.class, () -> call.await(20, TimeUnit.SECONDS));
    Throwable cause = e instanceof CompletionException ? e.getCause() : e;
    assertTrue(cause instanceof RpcException, "an RpcException, not " + cause);
    return (RpcException) cause;
  }

  @Test
  void manyCallsShareOneSessionAndEachGetsItsOwnAnswer() throws Exception {
    SocketAddress address = serve(true, 0);
    List<Future<StringValue>> answers = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      answers.add(calls.call(address, SAY_CLIENT, StringValue.of("m" + i), TIMEOUT));
    }
    for (int i = 0; i < 500; i++) {
      assertEquals("m" + i, answers.get(i).await(20, TimeUnit.SECONDS).getValue());
    }
    assertEquals(500, sessionCalls.get());
    assertEquals(0, unaryCalls.get());
  }

  @Test
  void answersComeWhenHandlersFinishNotInRequestOrder() throws Exception {
    SocketAddress address = serve(true, 0);
    Promise<String> slow = Promise.promise();
    behaviour = text -> text.equals("slow") ? slow.future() : Future.succeededFuture(text);
    Future<StringValue> first = calls.call(address, SAY_CLIENT, StringValue.of("slow"), TIMEOUT);
    assertEquals("fast", say(address, "fast"));
    assertTrue(!first.isComplete());
    new Thread(() -> slow.complete("slow at last")).start(); // a handler may finish on any thread
    assertEquals("slow at last", first.await(20, TimeUnit.SECONDS).getValue());
  }

  @Test
  void theServersStatusAndMessageReachTheCaller() throws Exception {
    SocketAddress address = serve(true, 0);
    behaviour = text -> Rpc.fail(GrpcStatus.FAILED_PRECONDITION, "no " + text);
    RpcException e = failure(calls.call(address, SAY_CLIENT, StringValue.of("way"), TIMEOUT));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, e.status());
    assertEquals("no way", e.detail());
    behaviour = text -> {
      throw new IllegalStateException("bug");
    };
    assertEquals(GrpcStatus.UNKNOWN, failure(calls.call(address, SAY_CLIENT, StringValue.of("x"), TIMEOUT)).status());
    behaviour = Future::succeededFuture;
    assertEquals("still open", say(address, "still open"));
  }

  @Test
  void aServerWithoutSessionsIsCalledUnaryAndEachCallRunsOnce() throws Exception {
    SocketAddress address = serve(false, 0);
    for (int i = 0; i < 5; i++) {
      assertEquals("u" + i, say(address, "u" + i));
    }
    assertEquals(5, unaryCalls.get()); // the method is not routed over the session: each went unary, once
    assertEquals(0, sessionCalls.get());
  }

  @Test
  void aMethodTheSessionDoesNotRouteGoesUnaryOnceAndTheSessionStillServesTheRest() throws Exception {
    SocketAddress address = serve(true, 0);
    AtomicInteger shouts = new AtomicInteger();
    GrpcServer other = GrpcServer.server(vertx); // Shout is served unary only, on a second server with both
    other.callHandler(SHOUT, call -> call.handler(msg -> {
      shouts.incrementAndGet();
      call.response().end(StringValue.of(msg.getValue().toUpperCase()));
    }));
    new CallSessionService().serve(SAY, msg -> Future.succeededFuture(msg)).bindTo(other);
    HttpServer second = vertx.createHttpServer().requestHandler(other).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    SocketAddress both = SocketAddress.inetSocketAddress(second.actualPort(), "127.0.0.1");
    for (int i = 0; i < 3; i++) {
      assertEquals("HEY", calls.call(both, SHOUT_CLIENT, StringValue.of("hey"), TIMEOUT).await(20, TimeUnit.SECONDS)
          .getValue());
    }
    assertEquals(3, shouts.get(), "each Shout ran once, unary");
    assertEquals("said", say(both, "said"));
    assertEquals("here too", say(address, "here too"));
    assertEquals(1, sessionCalls.get());
  }

  @Test
  void aCallWithNoAnswerFailsAtItsDeadlineAndTheSessionLivesOn() throws Exception {
    SocketAddress address = serve(true, 0);
    behaviour = text -> text.equals("never") ? Promise.<String>promise().future() : Future.succeededFuture(text);
    RpcException e = failure(calls.call(address, SAY_CLIENT, StringValue.of("never"), Duration.ofMillis(200)));
    assertEquals(GrpcStatus.DEADLINE_EXCEEDED, e.status());
    assertEquals("after", say(address, "after"));
  }

  /**
   * A frozen server (SIGSTOP) keeps its connections and answers nothing: the deadline must hold on the client, which
   * Vert.x's gRPC client does not enforce by itself (it only sends the deadline to the server).
   */
  @Test
  void aUnaryCallToAFrozenServerFailsAtItsDeadlineAndWorksOnceItThaws() throws Exception {
    SocketAddress server = serve(false, 0);
    try (FreezableProxy proxy = new FreezableProxy(server.port())) {
      SocketAddress address = SocketAddress.inetSocketAddress(proxy.port(), "127.0.0.1");
      assertEquals("warm", unary(address, "warm", TIMEOUT));
      proxy.freeze();
      long started = System.nanoTime();
      RpcException e = failure(calls.unary(address, SAY_CLIENT, StringValue.of("frozen"), Duration.ofMillis(300)));
      assertEquals(GrpcStatus.DEADLINE_EXCEEDED, e.status());
      assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 5_000, "failed near its deadline");
      proxy.thaw();
      assertEquals("thawed", unary(address, "thawed", TIMEOUT));
    }
  }

  /**
   * A session whose server froze before it opened: the call fails at its deadline, and once the server thaws it must
   * not run that call (its caller was told it failed) while the next call gets through.
   */
  @Test
  void aCallWhoseSessionNeverOpenedFailsAtItsDeadlineAndIsNeverRunLater() throws Exception {
    SocketAddress server = serve(true, 0);
    try (FreezableProxy proxy = new FreezableProxy(server.port())) {
      SocketAddress address = SocketAddress.inetSocketAddress(proxy.port(), "127.0.0.1");
      proxy.freeze();
      RpcException e = failure(calls.call(address, SAY_CLIENT, StringValue.of("frozen"), Duration.ofMillis(300)));
      assertEquals(GrpcStatus.DEADLINE_EXCEEDED, e.status());
      proxy.thaw();
      assertEquals("after", say(address, "after"));
      org.awaitility.Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
          .until(() -> sessionCalls.get() + unaryCalls.get() == 1);
    }
  }

  String unary(SocketAddress address, String text, Duration timeout) throws Exception {
    return calls.unary(address, SAY_CLIENT, StringValue.of(text), timeout).await(20, TimeUnit.SECONDS).getValue();
  }

  @Test
  void aLostServerFailsCallsInFlightUnavailableAndTheNextCallOpensANewSession() throws Exception {
    SocketAddress address = serve(true, 0);
    behaviour = text -> text.equals("hang") ? Promise.<String>promise().future() : Future.succeededFuture(text);
    assertEquals("up", say(address, "up"));
    Future<StringValue> inFlight = calls.call(address, SAY_CLIENT, StringValue.of("hang"), TIMEOUT);
    server.close().await(10, TimeUnit.SECONDS);
    assertEquals(GrpcStatus.UNAVAILABLE, failure(inFlight).status());
    assertEquals(GrpcStatus.UNAVAILABLE,
        failure(calls.call(address, SAY_CLIENT, StringValue.of("down"), TIMEOUT)).status());
    serve(true, address.port());
    assertEquals("back", say(address, "back"));
  }

  @Test
  void theAnswerCompletesOnTheCallersContext() throws Exception {
    SocketAddress address = serve(true, 0);
    Context caller = vertx.getOrCreateContext();
    Promise<Context> seen = Promise.promise();
    caller.runOnContext(v -> calls.call(address, SAY_CLIENT, StringValue.of("where"), TIMEOUT)
        .onComplete(ar -> seen.complete(Vertx.currentContext())));
    assertSame(caller, seen.future().await(20, TimeUnit.SECONDS));
  }
}
