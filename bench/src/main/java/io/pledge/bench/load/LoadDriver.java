package io.pledge.bench.load;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs an {@link Operation} under load: a closed loop of {@code concurrency} clients, each starting its next
 * operation when the previous one completes, or an open loop starting operations at a fixed rate whatever the
 * system does, with latency measured from each operation's <em>intended</em> start (Tene's coordinated omission:
 * a stalled system cannot hide its stall by slowing the driver down). A warm-up runs first, unmeasured; then the
 * measured window; a progress line is printed every {@code progressEvery}.
 *
 * <p>Clients are spread over several Vert.x event-loop contexts and never block them. An operation counts in the
 * window when it <em>completes</em> inside it.
 */
public final class LoadDriver {

  /** Called on the driver's thread at the edges of the measured window: take snapshots there. */
  public interface Window {
    void opening();

    void closed();
  }

  private static final long DRAIN_SECONDS = 40;
  /** The longest the warm-up waits for the first operation to complete before it starts counting anyway. */
  private static final long FIRST_COMPLETION_SECONDS = 60;

  private final Vertx vertx;
  private final String label;
  private final LoadSettings settings;
  private final Operation operation;
  private final Consumer<String> out;
  private final List<Context> contexts = new CopyOnWriteArrayList<>();

  private final Recorder progressLatency = new Recorder(3);
  private final Recorder windowLatency = new Recorder(3);
  private final LongAdder committed = new LongAdder();
  private final LongAdder aborted = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder windowCommitted = new LongAdder();
  private final LongAdder windowAborted = new LongAdder();
  private final LongAdder windowFailed = new LongAdder();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch drained = new CountDownLatch(1);
  private final CountDownLatch windowEnding = new CountDownLatch(1);
  private final CountDownLatch firstCompleted = new CountDownLatch(1);
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;
  private volatile boolean stopping;

  public LoadDriver(Vertx vertx, String label, LoadSettings settings, Operation operation, Consumer<String> out) {
    this.vertx = vertx;
    this.label = label;
    this.settings = settings;
    this.operation = operation;
    this.out = out;
  }

  /** Runs warm-up and window; returns once every operation started has completed (or after a drain timeout). */
  public LoadResult run(Window window) throws InterruptedException {
    int loops = Math.max(1, Math.min(settings.concurrency(), 2 * Runtime.getRuntime().availableProcessors()));
    String deployment = deployContexts(loops);
    long began = System.nanoTime();
    ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-progress");
      t.setDaemon(true);
      return t;
    });
    long every = settings.progressEvery().toMillis();
    long[] last = new long[3];
    progress.scheduleAtFixedRate(() -> out.accept(progressLine(began, last, every)), every, every,
        TimeUnit.MILLISECONDS);
    Thread dispatcher = null;
    try {
      if (settings.openLoop()) {
        dispatcher = new Thread(this::openLoop, "bench-dispatcher");
        dispatcher.setDaemon(true);
        dispatcher.start();
      } else {
        inFlight.set(settings.concurrency());
        for (int slot = 0; slot < settings.concurrency(); slot++) {
          Context context = contexts.get(slot % contexts.size());
          int s = slot;
          context.runOnContext(v -> nextClosed(context, s));
        }
      }
      // The warm-up counts from the first completed operation: a system that first opens its connections (TLS
      // handshakes, a pool filling up, a cluster electing) gets the same warm-up of running load as one that does not.
      firstCompleted.await(FIRST_COMPLETION_SECONDS, TimeUnit.SECONDS);
      TimeUnit.MILLISECONDS.sleep(settings.warmup().toMillis());
      window.opening();
      windowStart = System.nanoTime();
      windowEnding.await(settings.measure().toMillis(), TimeUnit.MILLISECONDS);
      windowEnd = System.nanoTime();
      stopping = true;
      window.closed();
      if (!drained.await(DRAIN_SECONDS, TimeUnit.SECONDS)) {
        out.accept("  " + label + ": " + inFlight.get() + " operations still in flight after " + DRAIN_SECONDS
            + " s; reporting without them");
      }
    } finally {
      stopping = true;
      progress.shutdownNow();
      if (dispatcher != null) {
        dispatcher.join(5000);
      }
      vertx.undeploy(deployment);
    }
    Histogram latency = windowLatency.getIntervalHistogram();
    return new LoadResult((windowEnd - windowStart) / 1e9, windowCommitted.sum(), windowAborted.sum(),
        windowFailed.sum(), latency, firstFailure.get());
  }

  /**
   * Ends the measured window now instead of at its set length (a run whose end is an event, such as the last of a
   * series of faults); from any thread.
   */
  public void endWindow() {
    windowEnding.countDown();
  }

  /**
   * One event-loop context per instance of an empty verticle: Vert.x assigns instances to event loops round-robin,
   * which spreads the clients (a plain thread's getOrCreateContext would hand back the same sticky context).
   */
  private String deployContexts(int instances) throws InterruptedException {
    List<Context> found = new CopyOnWriteArrayList<>();
    try {
      return vertx.deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          found.add(context);
          return Future.succeededFuture();
        }
      }, new DeploymentOptions().setInstances(instances)).andThen(ar -> contexts.addAll(found))
          .await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("could not deploy the driver's contexts", e);
    }
  }

  private void nextClosed(Context context, int slot) {
    if (stopping) {
      if (inFlight.decrementAndGet() == 0) {
        drained.countDown();
      }
      return;
    }
    long start = System.nanoTime();
    start(sequence.getAndIncrement(), slot).onComplete(ar -> {
      complete(start, ar);
      // Back on the client's own context: clients stay spread over the event loops, and no stack builds up.
      context.runOnContext(v -> nextClosed(context, slot));
    });
  }

  private void openLoop() {
    long period = Math.max(1, (long) (1e9 / settings.rate()));
    long next = System.nanoTime();
    int cap = settings.concurrency();
    while (!stopping) {
      long now = System.nanoTime();
      while (next <= now && inFlight.get() < cap && !stopping) {
        long intended = next;
        next += period;
        long seq = sequence.getAndIncrement();
        int slot = (int) (seq % cap);
        inFlight.incrementAndGet();
        contexts.get((int) (seq % contexts.size())).runOnContext(v -> start(seq, slot).onComplete(ar -> {
          complete(intended, ar);
          if (inFlight.decrementAndGet() == 0 && stopping) {
            drained.countDown();
          }
        }));
      }
      // Behind schedule with every slot taken: the intended start times keep running, so the wait counts.
      LockSupport.parkNanos(Math.max(10_000, Math.min(next - System.nanoTime(), 1_000_000)));
    }
    if (inFlight.get() == 0) {
      drained.countDown();
    }
  }

  private Future<Outcome> start(long seq, int slot) {
    try {
      return operation.run(seq, slot);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void complete(long startNanos, AsyncResult<Outcome> ar) {
    long now = System.nanoTime();
    firstCompleted.countDown();
    Outcome outcome = ar.succeeded() ? ar.result() : Outcome.FAILED;
    if (ar.failed()) {
      firstFailure.compareAndSet(null, String.valueOf(ar.cause()));
    }
    boolean inWindow = now >= windowStart && now < windowEnd;
    long micros = Math.max(0, (now - startNanos) / 1000);
    switch (outcome) {
      case COMMITTED -> {
        committed.increment();
        progressLatency.recordValue(micros);
        if (inWindow) {
          windowCommitted.increment();
          windowLatency.recordValue(micros);
        }
      }
      case ABORTED -> {
        aborted.increment();
        if (inWindow) {
          windowAborted.increment();
        }
      }
      case FAILED -> {
        failed.increment();
        if (inWindow) {
          windowFailed.increment();
        }
      }
    }
  }

  private String progressLine(long began, long[] last, long everyMillis) {
    Histogram h = progressLatency.getIntervalHistogram();
    long c = committed.sum();
    long a = aborted.sum();
    long f = failed.sum();
    double secs = everyMillis / 1000.0;
    String line = String.format(Locale.ROOT,
        "  %-18s %-7s %4.0fs %9.0f tx/s  aborted %7.0f/s  errors %5d  p50 %7.2f ms  p99 %8.2f ms  in flight %d",
        label, System.nanoTime() < windowStart ? "warm-up" : "measure", (System.nanoTime() - began) / 1e9,
        (c - last[0]) / secs, (a - last[1]) / secs, f - last[2],
        h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50) / 1000.0,
        h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0, inFlight.get());
    last[0] = c;
    last[1] = a;
    last[2] = f;
    return line;
  }
}
