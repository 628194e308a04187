package io.pledge.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seeded fault schedule: {@code kills} kill -9 + restart and {@code pauses} SIGSTOP + SIGCONT of every node,
 * shuffled by the seed, one after the other with a random quiet gap between them (or two at a time, never on the
 * same node, with {@link ChaosSettings#overlap()}). The same seed gives the same schedule.
 */
public final class Nemesis {

  private static final Logger LOG = LoggerFactory.getLogger(Nemesis.class);

  /** A fault the nemesis will inflict. */
  public enum Action { KILL, PAUSE }

  /** What happened, for the report: which node, what, when, and for how long it was out. */
  public record Event(Instant at, String node, ChaosNode.Kind kind, Action action, Duration outFor) {
    @Override
    public String toString() {
      return at + " " + action + " " + node + " for " + outFor.toMillis() + " ms";
    }
  }

  private record Fault(ChaosNode node, Action action, Duration outFor, Duration gapBefore) {}

  private final List<Fault> schedule;
  private final boolean overlap;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private volatile boolean stopped;

  public Nemesis(List<ChaosNode> nodes, ChaosSettings settings) {
    Random random = new Random(settings.seed());
    List<Fault> faults = new ArrayList<>();
    for (ChaosNode node : nodes) {
      for (int i = 0; i < settings.kills(); i++) {
        faults.add(new Fault(node, Action.KILL, between(random, settings.downtime().dividedBy(4),
            settings.downtime()), null));
      }
      for (int i = 0; i < settings.pauses(); i++) {
        faults.add(new Fault(node, Action.PAUSE, between(random, settings.pauseFor().dividedBy(2),
            settings.pauseFor()), null));
      }
    }
    Collections.shuffle(faults, random);
    List<Fault> withGaps = new ArrayList<>();
    for (Fault f : faults) {
      withGaps.add(new Fault(f.node(), f.action(), f.outFor(), between(random, settings.gap().dividedBy(2),
          settings.gap())));
    }
    this.schedule = List.copyOf(withGaps);
    this.overlap = settings.overlap();
  }

  private static Duration between(Random random, Duration min, Duration max) {
    long span = Math.max(1, max.toMillis() - min.toMillis());
    return min.plusMillis((long) (random.nextDouble() * span));
  }

  /** Runs the whole schedule (blocking); returns early, with every node healed, once {@link #stop()} is called. */
  public void run() throws InterruptedException {
    if (!overlap) {
      runLane(schedule);
      return;
    }
    List<Fault> even = new ArrayList<>();
    List<Fault> odd = new ArrayList<>();
    for (int i = 0; i < schedule.size(); i++) {
      (i % 2 == 0 ? even : odd).add(schedule.get(i));
    }
    Thread second = new Thread(() -> {
      try {
        runLane(odd);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "nemesis-2");
    second.start();
    runLane(even);
    second.join();
  }

  private void runLane(List<Fault> faults) throws InterruptedException {
    for (Fault f : faults) {
      if (stopped) {
        return;
      }
      Thread.sleep(f.gapBefore().toMillis());
      // Two lanes never hold the same node: the node's monitor is taken for the whole fault.
      synchronized (f.node()) {
        if (f.node().state() != ChaosNode.State.UP) {
          continue;
        }
        Instant at = Instant.now();
        LOG.info("nemesis: {} {} for {} ms", f.action(), f.node(), f.outFor().toMillis());
        switch (f.action()) {
          case KILL -> {
            f.node().kill();
            Thread.sleep(f.outFor().toMillis());
            f.node().start();
          }
          case PAUSE -> {
            f.node().pause();
            Thread.sleep(f.outFor().toMillis());
            f.node().resume();
          }
        }
        events.add(new Event(at, f.node().name(), f.node().kind(), f.action(), Duration.between(at, Instant.now())));
      }
    }
  }

  public void stop() {
    stopped = true;
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  /** The schedule as planned, for the report and for replaying a seed by eye. */
  public List<String> plan() {
    return schedule.stream().map(f -> "+" + f.gapBefore().toMillis() + "ms " + f.action() + " " + f.node() + " "
        + f.outFor().toMillis() + "ms").toList();
  }

  /** Faults of {@code action} that hit a node of {@code kind}. */
  public static long count(List<Event> events, ChaosNode.Kind kind, Action action) {
    return events.stream().filter(e -> e.kind() == kind && e.action() == action).count();
  }
}
