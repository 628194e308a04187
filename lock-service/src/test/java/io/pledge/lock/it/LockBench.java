package io.pledge.lock.it;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.LockServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockClient.Request;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Throwaway throughput/latency driver, not part of the suite (the name matches no test pattern). Run it with
 * {@code mvn -B verify -pl lock-service -am -Dit.test=LockBench -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 * Prints numbers, asserts nothing. Server and client share this JVM and the machine's cores.
 */
class LockBench {

  @Test
  void measure() throws Exception {
    try (LockServer server = Servers.start(Servers.memberSettings(5951, List.of(5951), Map.of()));
        LockClient client = LockClient.create(new Endpoint("127.0.0.1", server.grpcPort()))) {
      run(client, "warm-up", 16, false, Duration.ofSeconds(4));
      run(client, "uncontended, 1 in flight", 1, false, Duration.ofSeconds(5));
      run(client, "uncontended, 16 in flight", 16, false, Duration.ofSeconds(5));
      run(client, "uncontended, 64 in flight", 64, false, Duration.ofSeconds(5));
      run(client, "contended (1 lock), 4 clients", 4, true, Duration.ofSeconds(5));
      run(client, "contended (1 lock), 16 clients", 16, true, Duration.ofSeconds(5));
    }
  }

  private static void run(LockClient client, String name, int loops, boolean oneLock, Duration length)
      throws Exception {
    ConcurrentLinkedQueue<Long> acquireNanos = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Long> cycleNanos = new ConcurrentLinkedQueue<>();
    long end = System.nanoTime() + length.toNanos();
    List<Future<Void>> all = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      String lock = oneLock ? "bench-hot" : "bench-" + name.hashCode() + "-" + i;
      String owner = "bench-owner-" + i;
      Promise<Void> done = Promise.promise();
      loop(client, lock, owner, end, acquireNanos, cycleNanos, done);
      all.add(done.future());
    }
    Future.all(all).toCompletionStage().toCompletableFuture().get(length.toSeconds() + 60, TimeUnit.SECONDS);
    long[] acq = acquireNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    long[] cyc = cycleNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("BENCH %-32s %8.0f acquire+release/s | acquire p50 %6.2f ms p99 %6.2f ms | cycle p50 %6.2f ms"
            + " p99 %6.2f ms (n=%d)%n", name, cyc.length / (double) length.toSeconds(), pct(acq, 0.50), pct(acq, 0.99),
        pct(cyc, 0.50), pct(cyc, 0.99), cyc.length);
  }

  private static void loop(LockClient client, String lock, String owner, long end, ConcurrentLinkedQueue<Long> acq,
      ConcurrentLinkedQueue<Long> cyc, Promise<Void> done) {
    if (System.nanoTime() > end) {
      done.complete();
      return;
    }
    long t0 = System.nanoTime();
    client.acquire(Request.exclusive(lock, owner, Duration.ofSeconds(10)).waitingUpTo(Duration.ofSeconds(30)))
        .compose(h -> {
          acq.add(System.nanoTime() - t0);
          return h.release();
        })
        .onSuccess(v -> {
          cyc.add(System.nanoTime() - t0);
          loop(client, lock, owner, end, acq, cyc, done);
        })
        .onFailure(done::fail);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1e6;
  }

}
