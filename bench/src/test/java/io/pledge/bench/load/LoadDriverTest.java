package io.pledge.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadDriverTest {

  private final Vertx vertx = Vertx.vertx();
  private final List<String> lines = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Completes after a 2 ms timer: every tenth operation aborts, every 50th fails. */
  private Operation timed() {
    return (seq, slot) -> vertx.timer(2).compose(v -> seq % 50 == 7 ? Future.failedFuture(new IllegalStateException(
        "scripted failure")) : Future.succeededFuture(seq % 10 == 3 ? Outcome.ABORTED : Outcome.COMMITTED));
  }

  @Test
  void closedLoopCountsOutcomesInsideTheWindowAndCallsTheWindowEdgesInOrder() throws Exception {
    List<String> edges = new ArrayList<>();
    LoadSettings settings = new LoadSettings(8, 0, Duration.ofMillis(200), Duration.ofMillis(800),
        Duration.ofMillis(300));
    LoadResult r = new LoadDriver(vertx, "test", settings, timed(), lines::add).run(new LoadDriver.Window() {
      @Override
      public void opening() {
        edges.add("opening");
      }

      @Override
      public void closed() {
        edges.add("closed");
      }
    });
    assertEquals(List.of("opening", "closed"), edges);
    assertTrue(r.committed() > 0 && r.aborted() > 0 && r.failed() > 0, r.toString());
    assertTrue(r.firstFailure().contains("scripted failure"), r.firstFailure());
    assertEquals(r.committed(), r.latencyMicros().getTotalCount());
    assertTrue(r.millis(50) <= r.millis(99) && r.millis(99) <= r.maxMillis());
    assertTrue(r.seconds() >= 0.7, "window " + r.seconds());
    assertTrue(lines.stream().anyMatch(l -> l.contains("test") && l.contains("tx/s")), String.join("\n", lines));
  }

  @Test
  void openLoopMeasuresFromTheIntendedStartSoAStallShowsInTheLatency() throws Exception {
    // One slot, operations of 50 ms, 100 started per second intended: the backlog grows, and with it the latency
    // measured from each intended start, far beyond the 50 ms an operation takes.
    AtomicInteger running = new AtomicInteger();
    Operation slow = (seq, slot) -> {
      running.incrementAndGet();
      return vertx.timer(50).map(v -> {
        running.decrementAndGet();
        return Outcome.COMMITTED;
      });
    };
    LoadSettings settings = new LoadSettings(1, 100, Duration.ZERO, Duration.ofMillis(1000), Duration.ofSeconds(1));
    LoadResult r = new LoadDriver(vertx, "open", settings, slow, lines::add).run(noWindow());
    assertTrue(r.committed() > 0, r.toString());
    assertTrue(r.maxMillis() > 200, "max " + r.maxMillis() + " ms should include the queueing");
    assertEquals(0, running.get());
  }

  private static LoadDriver.Window noWindow() {
    return new LoadDriver.Window() {
      @Override
      public void opening() {}

      @Override
      public void closed() {}
    };
  }
}
