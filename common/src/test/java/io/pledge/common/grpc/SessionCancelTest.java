package io.pledge.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.StringValue;
import io.pledge.api.v1.CallFrame;
import io.pledge.api.v1.CallSessionGrpcClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 5: a client cancelling its call-session stream ends that stream only. The other calls on the
 * connection (here a unary call the server holds, as a lock service holds a waiting Acquire) and the next streams
 * carry on; the connection is not closed.
 */
class SessionCancelTest {

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  Vertx vertx;
  HttpServer server;
  GrpcClient client;
  SocketAddress address;
  final AtomicInteger connectionsClosed = new AtomicInteger();
  volatile Promise<String> held;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    GrpcServer grpc = GrpcTransport.grpcServer(vertx);
    grpc.callHandler(CallSessionsTest.SAY, call -> call.handler(msg -> handle(msg).onComplete(ar -> {
      if (ar.succeeded()) {
        call.response().end(ar.result());
      } else {
        call.response().fail(ar.cause());
      }
    })));
    new CallSessionService().serve(CallSessionsTest.SAY, this::handle).bindTo(grpc);
    server = GrpcTransport.server(vertx, new HttpServerOptions()).requestHandler(grpc)
        .connectionHandler(c -> c.closeHandler(v -> connectionsClosed.incrementAndGet()))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
    client = GrpcTransport.client(vertx, new HttpClientOptions());
  }

  @AfterEach
  void stop() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  Future<StringValue> handle(StringValue msg) {
    if (msg.getValue().equals("hold")) {
      return held.future().map(StringValue::of);
    }
    if (msg.getValue().startsWith("late")) {
      // answered after the client gave up, from a thread of its own (as Hazelcast's answer the lock service)
      Promise<StringValue> late = Promise.promise();
      vertx.setTimer(5, t -> new Thread(() -> late.complete(StringValue.of(msg.getValue()))).start());
      return late.future();
    }
    return Future.succeededFuture(StringValue.of(msg.getValue()));
  }

  static CallFrame frame(long id, String text) {
    return CallFrame.newBuilder().setCallId(id).setMethod(CallSessionsTest.SAY.fullMethodName())
        .setMessage(StringValue.of(text).toByteString()).build();
  }

  /** Opens a session, sends {@code text} as call 1 and returns the first answer frame. */
  Future<CallFrame> sessionCall(String text) {
    return client.request(address, CallSessionGrpcClient.Open).compose(request -> {
      Promise<CallFrame> answer = Promise.promise();
      request.response().onSuccess(response -> response.handler(answer::tryComplete))
          .onFailure(answer::tryFail);
      request.write(frame(1, text));
      return answer.future().eventually(() -> request.end());
    });
  }

  @Test
  void cancellingASessionEndsItAloneNotTheConnection() throws Exception {
    held = Promise.promise();
    Future<StringValue> waiting = Rpc.call(client, address, CallSessionsTest.SAY_CLIENT, StringValue.of("hold"),
        TIMEOUT);
    for (int round = 0; round < 10; round++) {
      // Sessions opened and cancelled at once, with calls in flight on them, as clients giving up do; a burst of
      // them beside sessions that carry on.
      java.util.List<Future<CallFrame>> next = new java.util.ArrayList<>();
      for (int s = 0; s < 20; s++) {
        int r = round;
        int n = s;
        client.request(address, CallSessionGrpcClient.Open).onSuccess(session -> {
          for (int i = 0; i < 5; i++) {
            session.write(frame(i, "late-" + r + "-" + n + "-" + i));
          }
          session.cancel();
        });
        next.add(sessionCall("next-" + round + "-" + s));
      }
      for (int s = 0; s < 20; s++) {
        assertEquals(StringValue.of("next-" + round + "-" + s).toByteString(),
            next.get(s).await(10, TimeUnit.SECONDS).getMessage());
      }
    }
    assertFalse(waiting.isComplete(), "the held call ended early: " + waiting.cause());
    held.complete("released");
    assertEquals("released", waiting.await(10, TimeUnit.SECONDS).getValue());
    assertEquals(0, connectionsClosed.get(), "connections closed");
  }
}
