package io.pledge.examples.orders;

import io.pledge.common.grpc.Endpoint;
import io.pledge.examples.orders.service.ServiceHost;
import io.pledge.testkit.JvmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of the example's services in its own JVM ({@link JvmProcess}, started with this JVM's class path), with its
 * database and participant log under {@code dir/<name>}. Its output is kept and written to {@code dir/<name>.log}
 * when it stops.
 *
 * <p>Blocking: used only from a main thread (the demo's, a test's).
 */
final class ServiceProcess implements AutoCloseable {

  private static final Pattern READY = Pattern.compile(
      Pattern.quote(ServiceHost.READY_BANNER) + " service=(\\S+) http=(\\d+) participant=(\\d+)");

  private final String name;
  private final Path dir;
  private final JvmProcess process;
  private Endpoint http;

  private ServiceProcess(String name, Path dir, JvmProcess process) {
    this.name = name;
    this.dir = dir;
    this.process = process;
  }

  /**
   * Starts {@code mainClass} on free ports against the coordinator; {@link #awaitReady} waits for it. Starting all
   * services first and then waiting lets their JVMs boot side by side.
   */
  static ServiceProcess start(String name, Class<?> mainClass, Path dir, Endpoint coordinator, List<String> extra)
      throws IOException {
    Files.createDirectories(dir);
    List<String> args = new ArrayList<>(List.of("--http.port=0", "--participant.port=0",
        "--participant.data.dir=" + dir.resolve(name).toAbsolutePath(), "--coordinator.endpoint=" + coordinator,
        "--participant.recovery.backoff.max=1s"));
    args.addAll(extra);
    // Run in this JVM's working directory: under java -jar the class path may be relative to it.
    return new ServiceProcess(name, dir, JvmProcess.start(name, mainClass.getName(), args,
        Map.of("PLEDGE_LOG_LEVEL", "INFO"), Path.of("").toAbsolutePath()));
  }

  /** Waits for the ready line and reads the HTTP port from it; fails with the output if the JVM dies first. */
  ServiceProcess awaitReady(Duration timeout) {
    Matcher m = READY.matcher(process.awaitLine(line -> READY.matcher(line).find(), timeout));
    if (!m.find()) {
      throw new IllegalStateException(name + ": unreadable ready line");
    }
    http = new Endpoint("127.0.0.1", Integer.parseInt(m.group(2)));
    return this;
  }

  String name() {
    return name;
  }

  Endpoint http() {
    if (http == null) {
      throw new IllegalStateException(name + " is not ready yet");
    }
    return http;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return dir.resolve(name + ".log");
  }

  /** SIGTERM (the service closes its database and participant log), then its output goes to {@link #log()}. */
  @Override
  public void close() throws IOException {
    process.stop();
    Files.write(log(), process.lines());
  }
}
