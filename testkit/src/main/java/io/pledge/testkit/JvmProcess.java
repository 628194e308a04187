package io.pledge.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real child JVM running a {@code main} class on this JVM's class path: what crash tests kill with
 * {@link #kill()} ({@code SIGKILL}, no shutdown hooks, no flushing: exactly {@code kill -9}).
 *
 * <p>Its standard output and error are read on a daemon thread into {@link #lines()} (and echoed to this JVM's log
 * with the process name), so tests wait for a line such as a "ready" banner with {@link #awaitLine}.
 */
public final class JvmProcess implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(JvmProcess.class);

  /** JVM flags every child gets: Hazelcast's module openings, a small heap, and a quick start. */
  private static final List<String> JVM_FLAGS = List.of(
      "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  private final String name;
  private final Process process;
  private final Path logFile;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private JvmProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
    Thread reader = new Thread(this::pump, "jvm-process-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code mainClass} with {@code args}, extra environment variables, in {@code workDir}. */
  public static JvmProcess start(String name, String mainClass, List<String> args, Map<String, String> env,
      Path workDir) {
    return start(name, List.of(), mainClass, args, env, workDir);
  }

  /**
   * Like {@link #start(String, String, List, Map, Path)}, with the JVM run behind a command {@code prefix} such as
   * {@code ip netns exec NS} (which execs it, so the pid stays the JVM's and {@link #kill()} still kills it).
   */
  public static JvmProcess start(String name, List<String> prefix, String mainClass, List<String> args,
      Map<String, String> env, Path workDir) {
    return start(name, prefix, List.of(), mainClass, args, env, workDir, null);
  }

  /**
   * Like {@link #start(String, List, String, List, Map, Path)}, and every output line is also appended to
   * {@code logFile} (when not null), so that a test's processes leave their logs behind for a post-mortem.
   */
  public static JvmProcess start(String name, List<String> prefix, String mainClass, List<String> args,
      Map<String, String> env, Path workDir, Path logFile) {
    return start(name, prefix, List.of(), mainClass, args, env, workDir, logFile);
  }

  /** Like the above, with {@code jvmFlags} after the default ones (so {@code -Xmx128m} there wins). */
  public static JvmProcess start(String name, List<String> prefix, List<String> jvmFlags, String mainClass,
      List<String> args, Map<String, String> env, Path workDir) {
    return start(name, prefix, jvmFlags, mainClass, args, env, workDir, null);
  }

  /** The general form: default JVM flags then {@code jvmFlags}, output also appended to {@code logFile} if set. */
  public static JvmProcess start(String name, List<String> prefix, List<String> jvmFlags, String mainClass,
      List<String> args, Map<String, String> env, Path workDir, Path logFile) {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_FLAGS);
    command.addAll(jvmFlags);
    command.add("-cp");
    command.add(classPath());
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(workDir.toFile());
    builder.environment().putAll(env);
    try {
      LOG.info("starting {}: {} {}", name, mainClass, args);
      return new JvmProcess(name, builder.start(), logFile);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name, e);
    }
  }

  /**
   * The class path of this JVM. Under surefire/failsafe the real one is in {@code surefire.test.class.path}
   * ({@code java.class.path} may be a manifest-only jar).
   */
  public static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    String path = surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    // Absolute, so that a child started in another directory finds it too (`java -jar target/x.jar` is relative).
    return java.util.Arrays.stream(path.split(java.io.File.pathSeparator)).filter(p -> !p.isBlank())
        .map(p -> Path.of(p).toAbsolutePath().toString())
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private void pump() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        java.io.Writer log = logFile == null ? java.io.Writer.nullWriter()
            : java.nio.file.Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(line);
        log.write(line);
        log.write('\n');
        log.flush();
        LOG.debug("[{}] {}", name, line);
      }
    } catch (IOException e) {
      LOG.debug("[{}] output closed: {}", name, e.getMessage());
    }
  }

  /** Waits until a line of output matches; fails the test (with the output so far) if the process dies first. */
  public String awaitLine(Predicate<String> matcher, Duration timeout) {
    Awaitility.await(name + " to print the expected line").atMost(timeout).pollInterval(Duration.ofMillis(20))
        .until(() -> {
          if (!process.isAlive() && lines.stream().noneMatch(matcher)) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + "; output:\n"
                + String.join("\n", lines));
          }
          return lines.stream().anyMatch(matcher);
        });
    return lines.stream().filter(matcher).findFirst().orElseThrow();
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** The first output line starting with {@code prefix}, or null while there is none. */
  public String firstLine(String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** {@code kill -9}: the process gets no chance to flush, close or run shutdown hooks. */
  public void kill() {
    process.destroyForcibly();
    awaitExit();
    LOG.info("killed {} (SIGKILL)", name);
  }

  /**
   * {@code kill -STOP}: the process freezes as in a long GC pause or a stalled VM; its sockets stay open and its
   * peers see only silence. {@link #resume()} wakes it.
   */
  public void pause() {
    signal("STOP");
  }

  /** {@code kill -CONT}: wakes a process frozen by {@link #pause()}. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
      }
      LOG.info("sent SIG{} to {}", signal, name);
    } catch (IOException e) {
      throw new IllegalStateException("cannot signal " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + name, e);
    }
  }

  /** A polite stop ({@code SIGTERM}, shutdown hooks run). */
  public void stop() {
    process.destroy();
    awaitExit();
  }

  private void awaitExit() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
