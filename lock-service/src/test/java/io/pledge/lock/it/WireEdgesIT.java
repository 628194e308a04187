package io.pledge.lock.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.lock.LockServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.RawGrpc;
import io.pledge.testkit.RawGrpc.Reply;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 12 items 1 and 6 on the lock service, from a raw HTTP/2 client: a gzip bomb is refused before it is
 * inflated, malformed messages get INVALID_ARGUMENT on every method (not a stream reset), an oversized one
 * RESOURCE_EXHAUSTED with a message.
 */
class WireEdgesIT {

  static final List<String> METHODS = List.of("Acquire", "TryAcquire", "AcquireStream", "Renew", "Release",
      "ReleaseAll", "Inspect", "List").stream().map(m -> "pledge.v1.LockService/" + m).toList();

  static Vertx vertx;
  static LockServer server;
  static RawGrpc raw;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server = Servers.start(Servers.memberSettings(5961, List.of(5961), Map.of()));
    raw = new RawGrpc(vertx, server.grpcPort());
  }

  @AfterAll
  static void stop() {
    raw.close();
    server.close();
    Await.result(vertx.close());
  }

  @Test
  void gzipBombsAreRefusedBeforeTheyAreInflated() {
    byte[] bomb = RawGrpc.gzipBomb(250 << 20);
    long before = usedHeap();
    long peak = before;
    for (String method : METHODS) {
      Reply reply = Await.result(raw.call(method, Map.of("grpc-encoding", "gzip"), RawGrpc.frame(bomb, true)));
      assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), method + ": " + reply);
      assertTrue(reply.message().contains("compressed requests are refused"), reply.toString());
      peak = Math.max(peak, usedHeap());
    }
    LoggerFactory.getLogger(WireEdgesIT.class).info("{} bombs of {} bytes (250 MB each inflated): heap {} MB before,"
        + " {} MB at most after one", METHODS.size(), bomb.length, before >> 20, peak >> 20);
    // 250 MB inflated even once would show; the bombs themselves are 250 KB each.
    assertTrue(peak - before < 100L << 20, "heap grew by " + ((peak - before) >> 20) + " MB");
  }

  @Test
  void malformedMessagesAreInvalidArgumentOnEveryMethod() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    for (String method : METHODS) {
      Reply reply = Await.result(raw.call(method, Map.of(), RawGrpc.frame(garbage, false)));
      assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), method + ": " + reply);
      assertTrue(reply.message().contains("not a valid"), method + ": " + reply);
    }
  }

  @Test
  void oversizedMessagesAreResourceExhaustedWithAMessage() {
    Reply reply = Await.result(raw.call(METHODS.get(6), Map.of(), RawGrpc.frame(new byte[300 * 1024], false)));
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED.code, reply.status(), reply.toString());
    assertTrue(reply.message() != null && reply.message().contains("larger than"), reply.toString());
  }

  @Test
  void lockWaitsPerOwnerAreBounded() {
    io.vertx.grpc.client.GrpcClient grpc = io.pledge.common.grpc.GrpcTransport.client(vertx,
        new io.vertx.core.http.HttpClientOptions());
    io.vertx.core.net.SocketAddress at = io.vertx.core.net.SocketAddress.inetSocketAddress(server.grpcPort(),
        "127.0.0.1");
    java.util.function.BiFunction<String, String, io.vertx.core.Future<io.pledge.api.v1.AcquireLockResponse>> acquire =
        (lock, owner) -> io.pledge.common.grpc.Rpc.call(grpc, at, io.pledge.api.v1.LockServiceGrpcClient.Acquire,
            io.pledge.api.v1.AcquireLockRequest.newBuilder().setLock(lock).setOwner(owner).setLeaseMs(10_000)
                .setWaitTimeoutMs(20_000).build(), java.time.Duration.ofSeconds(30));
    try {
      int bound = 64;
      for (int i = 0; i <= bound; i++) {
        Await.result(acquire.apply("bounded-" + i, "holder"));
      }
      java.util.List<io.vertx.core.Future<io.pledge.api.v1.AcquireLockResponse>> waiting = new java.util.ArrayList<>();
      for (int i = 0; i < bound; i++) {
        waiting.add(acquire.apply("bounded-" + i, "flooder"));
      }
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
        io.vertx.core.Future<?> next = acquire.apply("bounded-" + bound, "flooder");
        Throwable failure = next.transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause()))
            .toCompletionStage().toCompletableFuture().get();
        return failure instanceof io.pledge.common.grpc.RpcException e
            && e.status() == GrpcStatus.RESOURCE_EXHAUSTED && e.detail().contains("bound per owner");
      });
      assertTrue(waiting.stream().noneMatch(io.vertx.core.Future::isComplete), "waits ended early");
      // Another owner is not limited by the flooder's waits.
      Await.result(io.pledge.common.grpc.Rpc.call(grpc, at, io.pledge.api.v1.LockServiceGrpcClient.ReleaseAll,
          io.pledge.api.v1.ReleaseAllLocksRequest.newBuilder().setOwner("holder").build(),
          java.time.Duration.ofSeconds(10)));
      waiting.forEach(Await::result); // granted: their places are given back
      Await.result(acquire.apply("bounded-" + bound, "flooder"));
    } finally {
      Await.result(grpc.close());
    }
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
