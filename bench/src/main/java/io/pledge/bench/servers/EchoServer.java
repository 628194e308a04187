package io.pledge.bench.servers;

import io.pledge.bench.v1.EchoGrpcService;
import io.pledge.bench.v1.EchoReply;
import io.pledge.common.grpc.CallSessionService;
import io.pledge.common.grpc.GrpcTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;

/**
 * The loopback ceiling's server: answers {@code Echo} with the value it got, nothing else, unary and over call
 * sessions. Run in its own JVM by
 * {@link #main}, which prints {@value #READY_BANNER} {@code grpc= pid=}.
 */
public final class EchoServer {

  public static final String READY_BANNER = "BENCH-ECHO READY";

  private EchoServer() {}

  public static Future<HttpServer> start(Vertx vertx) {
    GrpcServer grpc = GrpcServer.server(vertx);
    grpc.callHandler(EchoGrpcService.Echo, request -> request.handler(msg ->
        request.response().end(EchoReply.newBuilder().setValue(msg.getValue()).build())));
    new CallSessionService().serve(EchoGrpcService.Echo,
        msg -> Future.succeededFuture(EchoReply.newBuilder().setValue(msg.getValue()).build())).bindTo(grpc);
    return GrpcTransport.server(vertx, new HttpServerOptions()).requestHandler(grpc).listen(0, "127.0.0.1");
  }

  public static void main(String[] args) {
    io.pledge.common.ops.ServerMain.run("bench-echo", EchoServer::start, HttpServer::close,
        s -> READY_BANNER + " grpc=" + s.actualPort() + " pid=" + ProcessHandle.current().pid());
  }
}
