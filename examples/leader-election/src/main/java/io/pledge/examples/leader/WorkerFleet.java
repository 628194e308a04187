package io.pledge.examples.leader;

import io.pledge.common.grpc.Endpoint;
import io.pledge.testkit.JvmProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The demo's worker JVMs ({@link WorkerMain} in {@link JvmProcess}es): starts them, kills, freezes and thaws them, and
 * reads their output every 50 ms — event lines are echoed to the console and recorded as {@link WorkerEvent}s, every
 * line goes to {@code <dir>/<worker>.log}.
 */
final class WorkerFleet implements AutoCloseable {

  private final Map<String, JvmProcess> workers = new LinkedHashMap<>();
  private final Map<String, Integer> read = new HashMap<>();
  private final Set<String> frozen = new HashSet<>();
  private final List<WorkerEvent> events = new CopyOnWriteArrayList<>();
  private final Path dir;
  private final PrintStream console;
  private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "worker-output");
    t.setDaemon(true);
    return t;
  });

  private WorkerFleet(Path dir, PrintStream console) {
    this.dir = dir;
    this.console = console;
  }

  static WorkerFleet start(DemoOptions options, Endpoint locks, Endpoint ledger, Path dir, PrintStream console) {
    WorkerFleet fleet = new WorkerFleet(dir, console);
    for (int i = 1; i <= options.workers(); i++) {
      String id = "worker-" + i;
      fleet.workers.put(id, JvmProcess.start(id, WorkerMain.class.getName(), List.of("--id=" + id,
          "--locks.endpoint=" + locks, "--ledger.endpoint=" + ledger, "--election.lease=" + options.lease().toMillis()
              + "ms", "--election.write-every=" + options.writeEvery().toMillis() + "ms"),
          Map.of("PLEDGE_LOG_LEVEL", "WARN"), dir));
    }
    fleet.poller.scheduleWithFixedDelay(fleet::poll, 50, 50, TimeUnit.MILLISECONDS);
    return fleet;
  }

  /** Every event so far, in the order read. */
  List<WorkerEvent> events() {
    return List.copyOf(events);
  }

  /** The newest election (highest token) that its worker has not reported lost and whose process is running. */
  synchronized Optional<WorkerEvent.Elected> leader() {
    WorkerEvent.Elected best = null;
    for (WorkerEvent e : events) {
      if (e instanceof WorkerEvent.Elected el && (best == null || el.token() > best.token())) {
        best = el;
      }
    }
    if (best == null || !workers.get(best.worker()).isAlive() || lost(best)) {
      return Optional.empty();
    }
    return Optional.of(best);
  }

  boolean lost(WorkerEvent.Elected reign) {
    return events.stream().anyMatch(e -> e instanceof WorkerEvent.Lost l && l.worker().equals(reign.worker())
        && l.token() == reign.token());
  }

  long writes(WorkerEvent.Elected reign) {
    return events.stream().filter(e -> e instanceof WorkerEvent.Wrote w && w.worker().equals(reign.worker())
        && w.token() == reign.token()).count();
  }

  long pid(String worker) {
    return workers.get(worker).pid();
  }

  /** {@code kill -9}. */
  void kill(String worker) {
    workers.get(worker).kill();
  }

  /** {@code kill -STOP}: the JVM stops dead, threads, timers and all, until {@link #thaw}. */
  synchronized void freeze(String worker) {
    signal("STOP", worker);
    frozen.add(worker);
  }

  /** {@code kill -CONT}. */
  synchronized void thaw(String worker) {
    signal("CONT", worker);
    frozen.remove(worker);
  }

  /**
   * SIGTERM to every running worker, one after the other (each gives the lock back, and the next takes over), and
   * reads their last lines. Not {@link JvmProcess#stop()}: {@code Process.destroy()} closes the pipes, and the lines a
   * worker prints while it shuts down would be lost.
   */
  void stopAll() {
    thawAll();
    for (Map.Entry<String, JvmProcess> w : workers.entrySet()) {
      if (!w.getValue().isAlive()) {
        continue;
      }
      signal("TERM", w.getKey());
      try {
        Awaitility.await(w.getKey() + " to stop").atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(20)).until(() -> !w.getValue().isAlive()
                && w.getValue().firstLine(w.getKey() + " stopped") != null);
      } catch (ConditionTimeoutException e) {
        console.println(w.getKey() + " did not stop cleanly within 30 s; killing it");
        w.getValue().kill();
      }
    }
    poll();
  }

  private void thawAll() {
    for (String w : List.copyOf(frozen)) {
      thaw(w);
    }
  }

  private void signal(String signal, String worker) {
    long pid = pid(worker);
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal + " (is this a Unix system?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private synchronized void poll() {
    for (Map.Entry<String, JvmProcess> w : workers.entrySet()) {
      List<String> lines = w.getValue().lines();
      int from = read.getOrDefault(w.getKey(), 0);
      if (lines.size() <= from) {
        continue;
      }
      List<String> fresh = new ArrayList<>(lines.subList(from, lines.size()));
      read.put(w.getKey(), lines.size());
      for (String line : fresh) {
        WorkerEvent.parse(line).ifPresent(events::add);
        if (line.startsWith(w.getKey() + " ")) {
          console.println(line);
        }
      }
      try {
        Files.write(dir.resolve(w.getKey() + ".log"), fresh, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        console.println("cannot write " + w.getKey() + ".log: " + e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    try {
      thawAll();
    } finally {
      workers.values().forEach(JvmProcess::close);
      poller.shutdownNow();
      poll();
    }
  }
}
