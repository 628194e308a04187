package io.pledge.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.RpcException;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorProcess;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.RawGrpc;
import io.pledge.testkit.RawGrpc.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator JVM with a small heap (128 MB, and the image's exit on OutOfMemoryError) under what killed the
 * 256 MB one of issue 12: a gzip bomb, and a flood of valid Begins with the largest labels allowed. It refuses what
 * passes its bounds with RESOURCE_EXHAUSTED naming the setting, its heap stays bounded, and it keeps serving. On one
 * event loop (the default) and on two: the bounds are the coordinator's, not each loop's.
 */
@ParameterizedClass(name = "{0} event loop(s)")
@ValueSource(ints = {1, 2})
class FloodIT {

  private static final Logger LOG = LoggerFactory.getLogger(FloodIT.class);

  @TempDir
  static Path dir;

  static Vertx vertx;
  static CoordinatorProcess coordinator;
  static CoordinatorTestClient client;
  static io.vertx.core.http.HttpClient http;

  /** The event loops of this invocation's coordinator (started once per invocation, below). */
  final int loops;

  FloodIT(int loops) {
    this.loops = loops;
  }

  @BeforeParameterizedClassInvocation
  static void start(int loops) {
    vertx = Vertx.vertx();
    // One caller floods here, so the per-caller bound is lifted: the total bound is what is tried.
    coordinator = new CoordinatorProcess("coordinator-128m", dir.resolve("coordinator-" + loops),
        List.of("--limits.open-transactions-per-caller=1000000", "--server.event-loops=" + loops),
        List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError")).start();
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    http = vertx.createHttpClient();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
    Await.result(vertx.close());
  }

  @Test
  void aGzipBombIsRefusedAndTheCoordinatorStaysUp() {
    byte[] bomb = RawGrpc.gzipBomb(250 << 20);
    try (RawGrpc raw = new RawGrpc(vertx, coordinator.grpcPort())) {
      for (int i = 0; i < 4; i++) {
        Reply reply = Await.result(raw.call("pledge.v1.TransactionCoordinator/Begin",
            Map.of("grpc-encoding", "gzip"), RawGrpc.frame(bomb, true)));
        assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), reply.toString());
      }
    }
    LOG.info("{} event loop(s), after 4 bombs of {} bytes (250 MB inflated): heap in use after a full GC {} MB", loops,
        bomb.length, heapMegabytes());
    assertTrue(coordinator.process().isAlive(), "the coordinator died");
    client.rollback(client.begin());
  }

  @Test
  void aFloodOfBeginsStopsAtTheBoundAndMemoryStaysBounded() {
    Map<String, String> labels = maxLabels();
    AtomicInteger begun = new AtomicInteger();
    List<RpcException> refused = new ArrayList<>();
    double before = heapMegabytes();
    // 12,000 Begins asked, 200 in flight at a time: more than twice the default bound of open transactions.
    for (int batch = 0; batch < 60; batch++) {
      List<Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        calls.add(client.beginAsync(3_600_000, labels));
      }
      for (Future<String> call : calls) {
        try {
          Await.result(call);
          begun.incrementAndGet();
        } catch (RuntimeException e) {
          Throwable failure = Await.failure(call);
          assertTrue(failure instanceof RpcException, failure.toString());
          refused.add((RpcException) failure);
        }
      }
    }
    double after = heapMegabytes();
    LOG.info("flood on {} event loop(s): {} begun, {} refused; heap in use after a full GC {} MB before, {} MB after",
        loops, begun.get(), refused.size(), before, after);
    assertTrue(coordinator.process().isAlive(), "the coordinator died");
    assertEquals(io.pledge.coordinator.protocol.Limits.DEFAULT.openTransactions(), begun.get());
    RpcException first = refused.get(0);
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, first.status());
    assertTrue(first.detail().contains("limits.open-transactions"), first.detail());
    assertTrue(after < 100, "heap " + after + " MB");
    // Still serving: health, reads, and a Begin once one transaction is rolled back.
    assertEquals(Integer.valueOf(200), Await.result(http.request(HttpMethod.GET, coordinator.httpPort(),
        "127.0.0.1", "/health").compose(r -> r.send()).map(r -> (Integer) r.statusCode())));
    String any = client.list(io.pledge.api.v1.ListTransactionsRequest.newBuilder().setPageSize(1).build())
        .getTransactions(0).getTxId();
    client.rollback(any);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
      try {
        client.rollback(client.begin());
        return true;
      } catch (RuntimeException stillFull) {
        return false;
      }
    });
  }

  /** 16 labels of 256 + 256 characters: the most a Begin may carry (8,192 bytes). */
  static Map<String, String> maxLabels() {
    Map<String, String> labels = new HashMap<>();
    for (int i = 0; i < 16; i++) {
      labels.put(String.format("%02d", i) + "k".repeat(254), "v".repeat(256));
    }
    return labels;
  }

  /**
   * The coordinator's heap in use right after a full collection (asked through {@code jcmd}), so that what is
   * measured is what it keeps, not the garbage its event loops happened to leave at the moment of reading (more of
   * it with more loops).
   */
  private static double heapMegabytes() {
    try {
      Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(coordinator.process().pid()), "GC.run").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      assertEquals(0, gc.waitFor(), "jcmd GC.run");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    String metrics = Await.result(http.request(HttpMethod.GET, coordinator.httpPort(),
        "127.0.0.1", "/metrics").compose(r -> r.send()).compose(r -> r.body()).map(Object::toString));
    return metrics.lines().filter(l -> l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum() / (1 << 20);
  }
}
