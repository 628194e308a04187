package io.pledge.examples.bank;

import io.pledge.common.grpc.Endpoint;
import io.pledge.coordinator.CoordinatorMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One member of the demo's coordinator cluster in its own JVM ({@link CoordinatorMain} on this JVM's class path), so
 * that a crash is a real {@code kill -9} and a freeze a real {@code SIGSTOP}. It keeps its ports and data directory
 * across a restart, as a member of a Raft group must: its peers know it by its Raft address.
 *
 * <p>Blocking: used only from the demo's main thread.
 */
final class CoordinatorNode implements AutoCloseable {

  private final String id;
  private final Path dataDir;
  private final Path log;
  private final int grpcPort;
  private final int httpPort;
  private final List<String> settings;
  private Process process;
  private boolean frozen;
  /** Where the log file ended at the latest launch: the ready banner is looked for after it. */
  private long readyMark;

  /** @param settings the member's flags besides its ports and data directory (cluster.*, locks.endpoint, tls.*) */
  CoordinatorNode(String id, Path dir, List<String> settings) throws IOException {
    this.id = id;
    this.dataDir = dir.resolve("coordinator-" + id);
    this.log = dir.resolve("coordinator-" + id + ".log");
    this.grpcPort = BankProcess.freePort();
    this.httpPort = BankProcess.freePort();
    List<String> all = new ArrayList<>(List.of("--grpc.port=" + grpcPort, "--http.port=" + httpPort,
        "--data.dir=" + dataDir));
    all.addAll(settings);
    this.settings = List.copyOf(all);
  }

  /** Starts the JVM; does not wait (members of a new cluster start together: see {@link #awaitReady}). */
  CoordinatorNode launch() throws IOException {
    List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        CoordinatorMain.class.getName()));
    command.addAll(settings);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("PLEDGE_LOG_LEVEL", "INFO");
    readyMark = Files.exists(log) ? Files.size(log) : 0;
    process = builder.start();
    frozen = false;
    return this;
  }

  /** Waits for the member's ready banner (it serves gRPC; as a follower it redirects to the leader). */
  CoordinatorNode awaitReady(Duration timeout) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!printedSinceLaunch(CoordinatorMain.READY_BANNER)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("coordinator " + id + " exited with " + process.exitValue() + "; see " + log);
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("coordinator " + id + " not ready after " + timeout + "; see " + log);
      }
      process.waitFor(100, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private boolean printedSinceLaunch(String needle) throws IOException {
    byte[] bytes = Files.readAllBytes(log);
    int from = (int) Math.min(readyMark, bytes.length);
    return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8).contains(needle);
  }

  /** {@code kill -9}: no shutdown hook, no flush; what is not on disk is gone. Answers the pid. */
  long kill() throws InterruptedException {
    long pid = process.pid();
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    return pid;
  }

  /** {@code kill -STOP}: frozen as in a long GC pause; its sockets stay open, its peers hear nothing. */
  long freeze() throws IOException, InterruptedException {
    signal("STOP");
    frozen = true;
    return process.pid();
  }

  /** {@code kill -CONT}. */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
    frozen = false;
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  String id() {
    return id;
  }

  Endpoint endpoint() {
    return new Endpoint("127.0.0.1", grpcPort);
  }

  int httpPort() {
    return httpPort;
  }

  Path dataDir() {
    return dataDir;
  }

  Path log() {
    return log;
  }

  /** SIGTERM (after waking it if frozen), then SIGKILL if it does not stop in time. */
  @Override
  public void close() throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (frozen) {
      try {
        resume();
      } catch (IOException e) {
        process.destroyForcibly();
      }
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
