package io.pledge.coordinator.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The coordinator log writer's own cost per transaction (issue 16): from {@code lanes} concurrent lanes, each
 * transaction writes its intent, forces its decision once the intent is written, and writes its END without waiting
 * for it, as the coordinator does; prints the writer thread's CPU time, syncs and transactions per second over the
 * measured ones. Not a test: a tool to compare builds, run from a source file against any build's bench jar
 * (the API it uses is the same in the build before issue 16), e.g. old and new alternated:
 * <pre>
 * java -XX:TieredStopAtLevel=1 -cp bench/target/pledge-bench.jar \
 *     coordinator/src/test/java/io/pledge/coordinator/log/LogWriterCostMain.java 2 64 20000 50000
 * </pre>
 * Arguments: participants per transaction, lanes, warm-up transactions, measured transactions.
 */
public final class LogWriterCostMain {
  private static final AtomicLong seq = new AtomicLong();

  public static void main(String[] args) throws Exception {
    int participants = Integer.parseInt(args[0]);
    int lanes = Integer.parseInt(args[1]);
    int warm = Integer.parseInt(args[2]);
    int measured = Integer.parseInt(args[3]);
    Path dir = Files.createTempDirectory("logcost");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<Participant> ps = new ArrayList<>();
    for (int i = 1; i <= participants; i++) {
      ps.add(new Participant("bench-participant-" + i, "127.0.0.1:" + (7500 + i)));
    }
    try (H2TxLog log = H2TxLog.open(dir, 512, Duration.ofMillis(1), registry, System::currentTimeMillis)) {
      long epoch = log.nextEpoch().toCompletableFuture().get();
      run(log, epoch, ps, lanes, warm);
      Thread writer = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("pledge-coordinator-writer")).findFirst().orElseThrow();
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long cpu0 = mx.getThreadCpuTime(writer.getId());
      double syncs0 = registry.get("pledge.log.syncs").counter().count();
      long t0 = System.nanoTime();
      run(log, epoch, ps, lanes, measured);
      long wall = System.nanoTime() - t0;
      long cpu = mx.getThreadCpuTime(writer.getId()) - cpu0;
      double syncs = registry.get("pledge.log.syncs").counter().count() - syncs0;
      System.out.printf("participants=%d lanes=%d tx=%d: writer CPU %.1f us/tx, %.3f syncs/tx, %.0f tx/s wall%n",
          participants, lanes, measured, cpu / 1e3 / measured, syncs / measured, measured / (wall / 1e9));
    } finally {
      try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  static void run(H2TxLog log, long epoch, List<Participant> ps, int lanes, int total) throws Exception {
    AtomicLong left = new AtomicLong(total);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < lanes; i++) {
      all.add(lane(log, epoch, ps, left));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
  }

  static CompletableFuture<Void> lane(H2TxLog log, long epoch, List<Participant> ps, AtomicLong left) {
    if (left.getAndDecrement() <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    TxId id = new TxId("coord-0", epoch, seq.incrementAndGet());
    return log.writeIntent(id, ps, false, Long.MAX_VALUE).thenCompose(v -> log.forceCommit(id, ps))
        .thenCompose(v -> {
          log.writeEnd(id, Outcome.COMMITTED, null); // not awaited, as the coordinator does
          return lane(log, epoch, ps, left);
        }).toCompletableFuture();
  }
}
