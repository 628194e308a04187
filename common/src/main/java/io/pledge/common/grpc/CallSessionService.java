package io.pledge.common.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.pledge.api.v1.CallFrame;
import io.pledge.api.v1.CallSessionGrpcService;
import io.pledge.common.tls.Authorization;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The server side of {@code pledge.v1.CallSession} (see session.proto): each call frame is run through the handler
 * {@linkplain #serve registered} for its method, the same one its unary method is bound to, and answered on the
 * session with the handler's result or status. Frames are handled on the session's connection context, as that
 * connection's unary calls would be. Register every method before {@link #bindTo}.
 */
public final class CallSessionService {

  private final Map<String, Route<?, ?>> routes = new HashMap<>();

  /** Serves {@code method} over sessions through {@code handler}, which fails with a {@link StatusException}. */
  public <Req, Resp extends MessageLite> CallSessionService serve(ServiceMethod<Req, Resp> method,
      Function<Req, Future<Resp>> handler) {
    if (routes.putIfAbsent(method.fullMethodName(), new Route<>(method, handler)) != null) {
      throw new IllegalArgumentException(method.fullMethodName() + " is served twice");
    }
    return this;
  }

  public void bindTo(GrpcServer server) {
    server.callHandler(CallSessionGrpcService.Open, call -> new Session(call).start());
  }

  /** A frame's message as its unary method's decoder reads it. */
  static <T> T decode(GrpcMessageDecoder<T> decoder, ByteString message) {
    return decoder.decode(GrpcMessage.message("identity", Buffer.buffer(message.toByteArray())));
  }

  private record Route<Req, Resp extends MessageLite>(ServiceMethod<Req, Resp> method,
      Function<Req, Future<Resp>> handler) {

    Future<ByteString> handle(ByteString message) {
      Req request;
      try {
        request = decode(method.decoder(), message);
      } catch (RuntimeException e) {
        return Rpc.fail(GrpcStatus.INVALID_ARGUMENT, "the request is not a valid " + method.fullMethodName()
            + " message");
      }
      try {
        return handler.apply(request).map(MessageLite::toByteString);
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
  }

  /**
   * One open session: answers frames until the client ends it, then ends once every answer is out. Handlers may
   * complete on other threads (the lock service's complete on Hazelcast's), hence the atomics.
   */
  private final class Session {

    private final GrpcServerRequest<CallFrame, CallFrame> call;
    private final GrpcServerResponse<CallFrame, CallFrame> response;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean clientDone;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** The session's caller, as the guard found it at the opening: each frame is held to its own method. */
    private final Function<String, Authorization.Decision> authorizer = GrpcGuard.authorizer();

    Session(GrpcServerRequest<CallFrame, CallFrame> call) {
      this.call = call;
      this.response = call.response();
    }

    void start() {
      call.handler(this::dispatch);
      call.endHandler(v -> {
        clientDone = true;
        endIfIdle();
      });
      // A reset or a lost connection: the client has failed its calls already, answers have nowhere to go.
      call.exceptionHandler(e -> ended.set(true));
      response.exceptionHandler(e -> ended.set(true));
    }

    private void dispatch(CallFrame frame) {
      Route<?, ?> route = routes.get(frame.getMethod());
      if (route == null) {
        answer(CallFrame.newBuilder().setCallId(frame.getCallId()).setUnrouted(true)
            .setStatus(GrpcStatus.UNIMPLEMENTED.code).setStatusMessage(frame.getMethod() + " is not served over a "
                + "call session").build());
        return;
      }
      Authorization.Decision decision = authorizer.apply(frame.getMethod());
      if (!decision.allowed()) {
        answer(CallFrame.newBuilder().setCallId(frame.getCallId()).setStatus(decision.status().code)
            .setStatusMessage(decision.message()).build());
        return;
      }
      inFlight.incrementAndGet();
      route.handle(frame.getMessage()).onComplete(ar -> {
        CallFrame.Builder answer = CallFrame.newBuilder().setCallId(frame.getCallId());
        if (ar.succeeded()) {
          answer.setMessage(ar.result());
        } else if (ar.cause() instanceof StatusException e) {
          answer.setStatus(e.status().code).setStatusMessage(e.message() == null ? "" : e.message());
        } else {
          answer.setStatus(GrpcStatus.UNKNOWN.code).setStatusMessage(String.valueOf(ar.cause().getMessage()));
        }
        answer(answer.build());
        inFlight.decrementAndGet();
        endIfIdle();
      });
    }

    private void answer(CallFrame frame) {
      if (!ended.get()) {
        try {
          response.write(frame);
        } catch (IllegalStateException e) {
          ended.set(true); // reset between the check and the write: the client has failed this call already
        }
      }
    }

    private void endIfIdle() {
      if (clientDone && inFlight.get() == 0 && ended.compareAndSet(false, true)) {
        try {
          response.end();
        } catch (IllegalStateException alreadyEnded) {
          // the server ended it first (a malformed frame answered INVALID_ARGUMENT): nothing left to end
        }
      }
    }
  }
}
