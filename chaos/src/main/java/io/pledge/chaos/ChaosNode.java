package io.pledge.chaos;

import io.pledge.testkit.JvmProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One server of the chaos cluster in its own JVM, on fixed ports and a fixed data directory, so that it comes back
 * as the same node after {@link #kill()} and {@link #start()}: the coordinator reaches a restarted participant on the
 * endpoint it enlisted with, and a restarted coordinator reads the log it wrote.
 *
 * <p>Its lifecycle is an enum with the legal predecessors of each state, so that a nemesis bug (pausing a dead
 * process, killing a frozen one twice) fails loudly instead of measuring something else.
 */
public final class ChaosNode {

  /** The kinds of process the nemesis picks from. */
  public enum Kind { COORDINATOR, LOCKS, BANK }

  /** Where the node is in its life; each state lists the states it may be entered from. */
  public enum State {
    DOWN, UP, PAUSED;

    private Set<State> predecessors() {
      return switch (this) {
        case DOWN -> Set.of(UP, PAUSED);
        case UP -> Set.of(DOWN, PAUSED);
        case PAUSED -> Set.of(UP);
      };
    }

    State to(State next) {
      if (!next.predecessors().contains(this)) {
        throw new IllegalStateException("illegal node transition " + this + " -> " + next);
      }
      return next;
    }
  }

  private final String name;
  private final Kind kind;
  private final String mainClass;
  private final List<String> args;
  private final Map<String, String> env;
  private final Path dir;
  private final Predicate<String> ready;
  private JvmProcess process;
  private State state = State.DOWN;
  private int starts;

  ChaosNode(String name, Kind kind, String mainClass, List<String> args, Map<String, String> env, Path dir,
      Predicate<String> ready) {
    this.name = name;
    this.kind = kind;
    this.mainClass = mainClass;
    this.args = List.copyOf(args);
    this.env = Map.copyOf(env);
    this.dir = dir;
    this.ready = ready;
  }

  /** Starts the JVM and waits for its ready line; its output goes to {@code <dir>/<name>.log} across restarts. */
  public synchronized void start() {
    state = state.to(State.UP);
    starts++;
    process = JvmProcess.start(name + "#" + starts, List.of(), mainClass, args, env, dir, dir.resolve(name + ".log"));
    process.awaitLine(ready, Duration.ofSeconds(120));
  }

  /** {@code kill -9}; a frozen process dies too (SIGKILL needs no cooperation). */
  public synchronized void kill() {
    state = state.to(State.DOWN);
    process.kill();
  }

  /** {@code kill -STOP}. */
  public synchronized void pause() {
    state = state.to(State.PAUSED);
    process.pause();
  }

  /** {@code kill -CONT}. */
  public synchronized void resume() {
    state = state.to(State.UP);
    process.resume();
  }

  /** Brings the node back to UP from wherever the nemesis left it. */
  public synchronized void heal() {
    if (state == State.PAUSED) {
      resume();
    } else if (state == State.DOWN) {
      start();
    }
  }

  /** Ends the process (SIGKILL): the run is over, nothing it does now can matter. */
  public synchronized void stop() {
    if (process != null && process.isAlive()) {
      process.kill();
    }
    state = State.DOWN;
  }

  public String name() {
    return name;
  }

  public Kind kind() {
    return kind;
  }

  public synchronized State state() {
    return state;
  }

  public Path log() {
    return dir.resolve(name + ".log");
  }

  @Override
  public String toString() {
    return name;
  }
}
