package io.pledge.bench.sut;

import io.pledge.bench.participant.BenchParticipant;
import io.pledge.bench.participant.BenchParticipantSettings;
import io.pledge.bench.servers.BenchLockServiceMain;
import io.pledge.bench.servers.EchoServer;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.lock.LockServer;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every server in the harness's own JVM, on the harness's Vert.x (the lock service brings its own, as it always
 * does): no loopback process boundary, one process to measure. Each server still has its own ops endpoint, so
 * syncs are read per server.
 */
public final class InProcessLauncher implements Launcher {

  private final Vertx vertx;
  private final Path dir;
  private final AtomicInteger coordinators = new AtomicInteger();
  private final ExecutorService blocking = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "bench-in-process-start");
    t.setDaemon(true);
    return t;
  });

  public InProcessLauncher(Vertx vertx, Path dir) {
    this.vertx = vertx;
    this.dir = dir;
  }

  private static OptionalLong self() {
    return OptionalLong.of(ProcessHandle.current().pid());
  }

  private static Node node(String name, Role role, int opsPort) {
    return new Node(name, role, self(), Optional.of(PromMetrics.scraping(
        URI.create("http://127.0.0.1:" + opsPort + "/metrics"), PromMetrics.SYNCS)));
  }

  @Override
  public CompletableFuture<Started> lockService(Map<String, String> extra) {
    if (!extra.isEmpty()) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("a lock service with settings "
          + extra.keySet() + " (TLS) runs in its own JVM: not with --in-process"));
    }
    // LockServer.start blocks while Hazelcast joins: not on an event loop.
    return CompletableFuture.supplyAsync(() -> {
      try {
        LockServer server = BenchLockServiceMain.start(
            ProcessLauncher.freePortIn(ProcessLauncher.HAZELCAST_FIRST_PORT, ProcessLauncher.HAZELCAST_LAST_PORT));
        return new Started(new Endpoint("127.0.0.1", server.grpcPort()),
            node("lock-service", Role.LOCK_SERVICE, server.opsPort()), server);
      } catch (Exception e) {
        throw new IllegalStateException("lock service did not start: " + e.getMessage(), e);
      }
    }, blocking);
  }

  @Override
  public CompletableFuture<Started> coordinator(Optional<Endpoint> locks, Map<String, String> extra) {
    if (!extra.isEmpty()) {
      // Its ops endpoint would be HTTPS, which the in-process nodes do not scrape.
      return CompletableFuture.failedFuture(new UnsupportedOperationException("a coordinator with settings "
          + extra.keySet() + " (TLS) runs in its own JVM: not with --in-process"));
    }
    String name = "coordinator-" + coordinators.incrementAndGet();
    Map<String, String> settings = new HashMap<>(Map.of("node.id", "bench", "grpc.port", "0", "http.port", "0",
        "data.dir", dir.resolve(name).toAbsolutePath().toString()));
    locks.ifPresent(l -> settings.put("locks.endpoint", l.toString()));
    return CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, settings))
        .map(c -> new Started(new Endpoint("127.0.0.1", c.grpcPort()),
            node("coordinator", Role.COORDINATOR, c.httpPort()),
            () -> c.close().await(20, TimeUnit.SECONDS)))
        .toCompletionStage().toCompletableFuture();
  }

  @Override
  public CompletableFuture<Started> participant(BenchParticipantSettings settings) {
    return BenchParticipant.start(vertx, settings)
        .map(p -> new Started(new Endpoint("127.0.0.1", p.workPort()),
            node(settings.name(), Role.PARTICIPANT, p.opsPort()), () -> p.close().await(20, TimeUnit.SECONDS),
            p.opsPort()))
        .toCompletionStage().toCompletableFuture();
  }

  @Override
  public CompletableFuture<Started> echoServer() {
    return EchoServer.start(vertx)
        .map(s -> new Started(new Endpoint("127.0.0.1", s.actualPort()),
            new Node("echo-server", Role.ECHO_SERVER, self(), Optional.empty()),
            () -> s.close().await(10, TimeUnit.SECONDS)))
        .toCompletionStage().toCompletableFuture();
  }

  @Override
  public String description() {
    return "one JVM (--in-process): servers on the harness's Vert.x";
  }

  @Override
  public void close() {
    blocking.shutdownNow();
  }
}
