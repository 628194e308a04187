package io.pledge.common.grpc;

import io.pledge.common.tls.Authorization;
import io.pledge.common.tls.Identities;
import io.pledge.common.tls.Policy;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.impl.GrpcWriteStreamBase;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import io.vertx.grpc.server.StatusException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * What every Pledge gRPC server puts in front of Vert.x's gRPC server, for what Vert.x 5.0 leaves to the
 * application:
 * <ul>
 *   <li><b>No compressed requests.</b> Vert.x inflates a gzip message whole before any size check (its limit applies
 *   to the compressed bytes), so a 250 KB request could become 250 MB of heap. No Pledge client compresses, so
 *   a request with a {@code grpc-encoding} other than {@code identity} is refused with INVALID_ARGUMENT and
 *   {@code grpc-accept-encoding: identity} before any byte of it is read; the message size limit then bounds the
 *   decoded size too. (The gRPC spec suggests UNIMPLEMENTED, but Pledge's own clients read UNIMPLEMENTED as "this
 *   method is not served here" and would retry it unary.) A request without the header gets {@code identity}, so
 *   that a message flagged compressed is read as what it is, a malformed message.</li>
 *   <li><b>Malformed messages</b> get INVALID_ARGUMENT naming the method, where Vert.x resets the stream
 *   (clients see CANCELLED).</li>
 *   <li><b>Oversized messages</b> get RESOURCE_EXHAUSTED with the size and the limit, where Vert.x sends none.</li>
 *   <li><b>The caller</b> (remote host) is kept in the request's context, see {@link #caller()}.</li>
 *   <li><b>Authorization</b> under TLS with a {@link Policy}: the caller certificate's identity must have a role
 *   the method needs ({@link Authorization}), else the call ends UNAUTHENTICATED or PERMISSION_DENIED before its
 *   handler runs; a call session's frames are checked the same way ({@link #authorize}). Without TLS, or without
 *   a policy, nothing is checked, as before.</li>
 * </ul>
 */
public final class GrpcGuard {

  private static final String CALLER_KEY = "pledge.caller";
  private static final String PRINCIPAL_KEY = "pledge.principal";
  static final String GRPC_ENCODING = "grpc-encoding";
  static final String GRPC_MESSAGE = "grpc-message";

  private GrpcGuard() {}

  /** A gRPC server whose services get the guards above; bind services to the returned server. */
  public static GrpcServer server(GrpcServer server, long maxMessageBytes) {
    return server(server, maxMessageBytes, Optional.empty());
  }

  /** Like {@link #server(GrpcServer, long)}; calls over TLS are authorized by {@code policy} when given. */
  public static GrpcServer server(GrpcServer server, long maxMessageBytes, Optional<Policy> policy) {
    return (GrpcServer) Proxy.newProxyInstance(GrpcGuard.class.getClassLoader(), new Class<?>[] {GrpcServer.class},
        new GuardedServer(server, maxMessageBytes, policy.orElse(null)));
  }

  /** A TLS caller of the current request: its identity (empty without a usable certificate) and the policy. */
  private record Principal(Optional<String> identity, Policy policy) {}

  /**
   * The identity of the current request's caller, from its TLS client certificate; empty without TLS or without a
   * certificate (then nothing about the caller is known but its address).
   */
  public static Optional<String> identity() {
    Context context = Vertx.currentContext();
    Object p = context instanceof ContextInternal internal ? internal.getLocal(PRINCIPAL_KEY) : null;
    return p instanceof Principal principal ? principal.identity() : Optional.empty();
  }

  /**
   * The current request's caller as per-object checks see it ({@link io.pledge.common.tls.Ownership}): its identity
   * and the roles the policy grants it. Empty without TLS, without a policy or without a usable certificate: then
   * nothing is known of the caller and ownership is not checked. On a call session, the session's caller.
   */
  public static Optional<io.pledge.common.tls.Principal> principal() {
    Context context = Vertx.currentContext();
    Object p = context instanceof ContextInternal internal ? internal.getLocal(PRINCIPAL_KEY) : null;
    if (p instanceof Principal principal && principal.policy() != null && principal.identity().isPresent()) {
      String identity = principal.identity().get();
      return Optional.of(new io.pledge.common.tls.Principal(identity, principal.policy().roles(identity)));
    }
    return Optional.empty();
  }

  /**
   * Whether the current request's caller may call a method (by its full name): what a call session's frames are
   * held to. Read once, when the session opens.
   */
  static Function<String, Authorization.Decision> authorizer() {
    Context context = Vertx.currentContext();
    Object p = context instanceof ContextInternal internal ? internal.getLocal(PRINCIPAL_KEY) : null;
    if (p instanceof Principal principal && principal.policy() != null) {
      return method -> Authorization.check(principal.policy(), principal.identity(), method);
    }
    Authorization.Decision allow = new Authorization.Decision(true, GrpcStatus.OK, "");
    return method -> allow;
  }

  private static Optional<String> peerIdentity(HttpConnection connection) {
    try {
      return Identities.of(connection.peerCertificates());
    } catch (javax.net.ssl.SSLPeerUnverifiedException | RuntimeException noCertificate) {
      return Optional.empty();
    }
  }

  /**
   * The HTTP server in front of a gRPC server: compressed requests are refused before a byte is read. Every new
   * connection goes through {@code onConnection} first, then through a connection handler the caller sets.
   */
  static HttpServer http(HttpServer server, Handler<io.vertx.core.http.HttpConnection> onConnection) {
    server.connectionHandler(onConnection);
    return (HttpServer) Proxy.newProxyInstance(GrpcGuard.class.getClassLoader(), new Class<?>[] {HttpServer.class},
        (proxy, method, args) -> {
          if (method.getName().equals("connectionHandler") && args != null && args.length == 1) {
            @SuppressWarnings("unchecked")
            Handler<io.vertx.core.http.HttpConnection> handler = (Handler<io.vertx.core.http.HttpConnection>) args[0];
            server.connectionHandler(handler == null ? onConnection : c -> {
              onConnection.handle(c);
              handler.handle(c);
            });
            return proxy;
          }
          if (method.getName().equals("requestHandler") && args != null && args.length == 1) {
            @SuppressWarnings("unchecked")
            Handler<HttpServerRequest> handler = (Handler<HttpServerRequest>) args[0];
            server.requestHandler(handler == null ? null : request -> {
              if (!refusedCompressed(request)) {
                handler.handle(request);
              }
            });
            return proxy;
          }
          Object result = invoke(server, method, args);
          return result == server ? proxy : result;
        });
  }

  /**
   * The remote host of the gRPC request being served on the current context ("unknown" outside one): who a
   * per-caller bound counts against.
   */
  public static String caller() {
    Context context = Vertx.currentContext();
    Object caller = context instanceof ContextInternal internal ? internal.getLocal(CALLER_KEY) : null;
    return caller == null ? "unknown" : caller.toString();
  }

  private static boolean refusedCompressed(HttpServerRequest request) {
    String encoding = request.getHeader(GRPC_ENCODING);
    if (encoding == null) {
      request.headers().set(GRPC_ENCODING, "identity");
      return false;
    }
    if (encoding.trim().toLowerCase(Locale.ROOT).equals("identity")) {
      return false;
    }
    String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
    request.response().setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, contentType != null && contentType.startsWith("application/grpc")
            ? contentType : "application/grpc")
        .putHeader("grpc-accept-encoding", "identity")
        .putHeader("grpc-status", String.valueOf(GrpcStatus.INVALID_ARGUMENT.code))
        .putHeader("grpc-message", percentEncode("compressed requests are refused (grpc-encoding "
            + abbreviate(encoding) + "): this server accepts identity only"))
        .end();
    return true;
  }

  /** gRPC's percent-encoding of a status message: bytes outside printable ASCII, and '%', as %XX. */
  static String percentEncode(String message) {
    StringBuilder out = new StringBuilder(message.length());
    for (byte b : message.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static String abbreviate(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() <= 32 ? printable : printable.substring(0, 32) + "...";
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private record GuardedServer(GrpcServer server, long maxMessageBytes, Policy policy) implements InvocationHandler {

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getName().equals("addService") && args.length == 1) {
        // Bound through the proxy, so that each method's handler is guarded.
        ((Service) args[0]).bind((GrpcServer) proxy);
        return proxy;
      }
      if (method.getName().equals("callHandler") && args != null && args.length == 2) {
        server.callHandler((ServiceMethod<Object, Object>) args[0],
            guard((ServiceMethod<Object, Object>) args[0], (Handler<GrpcServerRequest<Object, Object>>) args[1]));
        return proxy;
      }
      Object result = GrpcGuard.invoke(server, method, args);
      return result == server ? proxy : result;
    }

    private <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> guard(ServiceMethod<Req, Resp> method,
        Handler<GrpcServerRequest<Req, Resp>> handler) {
      if (handler == null) {
        return null;
      }
      return request -> {
        Context context = Vertx.currentContext();
        if (context instanceof ContextInternal internal && request.connection() != null
            && request.connection().remoteAddress() != null) {
          // The request's own (duplicated) context: the caller is that request's alone.
          internal.putLocal(CALLER_KEY, request.connection().remoteAddress().hostAddress());
        }
        HttpConnection connection = request.connection();
        if (connection != null && connection.isSsl()) {
          Optional<String> identity = peerIdentity(connection);
          if (context instanceof ContextInternal internal) {
            internal.putLocal(PRINCIPAL_KEY, new Principal(identity, policy));
          }
          if (policy != null) {
            Authorization.Decision decision = Authorization.check(policy, identity, method.fullMethodName());
            if (!decision.allowed()) {
              end(request.response(), decision.status(), decision.message());
              return;
            }
          }
        }
        request.invalidMessageHandler(invalid -> {
          String message = invalid instanceof MessageSizeOverflowException overflow
              ? "the " + method.fullMethodName() + " request message of " + overflow.messageSize()
                  + " bytes is larger than this server's limit of " + maxMessageBytes + " bytes"
              : "the request is not a valid " + method.fullMethodName() + " message";
          end(request.response(), invalid instanceof MessageSizeOverflowException ? GrpcStatus.RESOURCE_EXHAUSTED
              : GrpcStatus.INVALID_ARGUMENT, message);
        });
        handler.handle(decodingRequest(request, method));
      };
    }
  }

  /**
   * The request as the service sees it, but a message that does not decode ends the call with INVALID_ARGUMENT
   * instead of a stream reset. Compressed messages cannot reach here (refused above), so decoding is the method's
   * decoder alone.
   */
  @SuppressWarnings("unchecked")
  private static <Req, Resp> GrpcServerRequest<Req, Resp> decodingRequest(GrpcServerRequest<Req, Resp> request,
      ServiceMethod<Req, Resp> method) {
    GrpcServerResponse<Req, Resp> response = encodingOnce(request.response());
    return (GrpcServerRequest<Req, Resp>) Proxy.newProxyInstance(GrpcGuard.class.getClassLoader(),
        new Class<?>[] {GrpcServerRequest.class}, (proxy, m, args) -> {
          if (m.getName().equals("response") && (args == null || args.length == 0)) {
            return response;
          }
          if (m.getName().equals("handler") && args != null && args.length == 1) {
            Handler<Req> handler = (Handler<Req>) args[0];
            request.messageHandler(handler == null ? null : (GrpcMessage message) -> {
              Req decoded;
              try {
                if (!"identity".equals(message.encoding())) {
                  throw new IllegalArgumentException("compressed");
                }
                decoded = method.decoder().decode(message);
              } catch (RuntimeException e) {
                end(request.response(), GrpcStatus.INVALID_ARGUMENT, "the request is not a valid "
                    + method.fullMethodName() + " message");
                return;
              }
              try {
                handler.handle(decoded);
              } catch (RuntimeException e) {
                response.fail(e);
              }
            });
            return proxy;
          }
          Object result = invoke(request, m, args);
          return result == request ? proxy : result;
        });
  }

  /**
   * The response, whose status message goes on the wire percent-encoded as the gRPC spec says: only bytes outside
   * printable ASCII, and '%'. Vert.x encodes it as a URL query component, ':' as %3A too, which grpc-js (decodeURI)
   * leaves encoded: Node users read {@code coord-0%3A1%3A1}. Vert.x keeps a grpc-message already set, so it is set
   * first, in the headers while they are not sent (a trailers-only answer), else in the trailers.
   */
  @SuppressWarnings("unchecked")
  private static <Req, Resp> GrpcServerResponse<Req, Resp> encodingOnce(GrpcServerResponse<Req, Resp> response) {
    return (GrpcServerResponse<Req, Resp>) Proxy.newProxyInstance(GrpcGuard.class.getClassLoader(),
        new Class<?>[] {GrpcServerResponse.class}, (proxy, m, args) -> {
          if (m.getName().equals("fail") && args.length == 1 && args[0] instanceof StatusException e) {
            presetMessage(response, e.message());
          } else if (m.getName().equals("statusMessage") && args.length == 1) {
            presetMessage(response, (String) args[0]);
          }
          Object result = invoke(response, m, args);
          return result == response ? proxy : result;
        });
  }

  private static void presetMessage(GrpcServerResponse<?, ?> response, String message) {
    if (message == null) {
      return;
    }
    try {
      if (response instanceof GrpcWriteStreamBase<?, ?> base && !base.isHeadersSent()) {
        base.headers().set(GRPC_MESSAGE, percentEncode(message));
      } else {
        response.trailers().set(GRPC_MESSAGE, percentEncode(message));
      }
    } catch (IllegalStateException ended) {
      // trailers sent already: Vert.x will refuse the status too
    }
  }

  /** The status message of a reply, decoded once (Vert.x's client would also turn '+' into a space). */
  static String statusMessage(io.vertx.grpc.client.GrpcClientResponse<?, ?> response) {
    String raw = null;
    try {
      raw = response.trailers() == null ? null : response.trailers().get(GRPC_MESSAGE);
    } catch (RuntimeException notYet) {
      // no trailers (a trailers-only answer): the headers have it
    }
    if (raw == null) {
      raw = response.headers().get(GRPC_MESSAGE);
    }
    return raw == null ? response.statusMessage() : percentDecode(raw);
  }

  static String percentDecode(String encoded) {
    if (encoded.indexOf('%') < 0) {
      return encoded;
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      int hi;
      int lo;
      if (c == '%' && i + 2 < encoded.length()
          && (hi = Character.digit(encoded.charAt(i + 1), 16)) >= 0
          && (lo = Character.digit(encoded.charAt(i + 2), 16)) >= 0) {
        bytes.write(hi << 4 | lo);
        i += 2;
      } else {
        byte[] raw = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        bytes.write(raw, 0, raw.length);
      }
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void end(GrpcServerResponse<?, ?> response, GrpcStatus status, String message) {
    try {
      presetMessage(response, message);
      response.status(status).statusMessage(message).end();
    } catch (IllegalStateException alreadyEnded) {
      // the stream was reset or ended meanwhile: nothing to answer
    }
  }
}
