package io.pledge.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A coordinator in its own JVM ({@code io.pledge.coordinator.CoordinatorMain}, which must be on the test class
 * path), so that a test can kill it with SIGKILL mid-protocol and start it again on the same data directory and
 * port.
 */
public final class CoordinatorProcess implements AutoCloseable {

  public static final String MAIN_CLASS = "io.pledge.coordinator.CoordinatorMain";
  private static final Pattern READY = Pattern.compile("PLEDGE-COORDINATOR READY .*grpc=(\\d+) http=(\\d+)");

  private final String name;
  private final Path dataDir;
  private final List<String> extraArgs;
  private final List<String> jvmFlags;
  private JvmProcess process;
  private int grpcPort;
  private int httpPort;

  /**
   * @param extraArgs further settings, e.g. {@code --tx.prepare-timeout=2s}
   */
  public CoordinatorProcess(String name, Path dataDir, List<String> extraArgs) {
    this(name, dataDir, extraArgs, List.of());
  }

  /** @param jvmFlags JVM flags after the defaults, e.g. {@code -Xmx128m} */
  public CoordinatorProcess(String name, Path dataDir, List<String> extraArgs, List<String> jvmFlags) {
    this.name = name;
    this.dataDir = dataDir;
    this.extraArgs = List.copyOf(extraArgs);
    this.jvmFlags = List.copyOf(jvmFlags);
  }

  /** Starts (or restarts, on the same ports once known) and waits until recovery is done. */
  public CoordinatorProcess start() {
    List<String> args = new ArrayList<>();
    args.add("--data.dir=" + dataDir.toAbsolutePath());
    args.add("--grpc.port=" + grpcPort);
    args.add("--http.port=" + httpPort);
    args.addAll(extraArgs);
    process = JvmProcess.start(name, List.of(), jvmFlags, MAIN_CLASS, args, Map.of(),
        dataDir.toAbsolutePath().getParent());
    Matcher m = READY.matcher(process.awaitLine(line -> READY.matcher(line).find(), Duration.ofSeconds(60)));
    if (!m.find()) {
      throw new IllegalStateException("unreadable ready line from " + name);
    }
    grpcPort = Integer.parseInt(m.group(1));
    httpPort = Integer.parseInt(m.group(2));
    return this;
  }

  /** SIGKILL: no shutdown hook, no log close, no flush. */
  public void kill() {
    process.kill();
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public String endpoint() {
    return "127.0.0.1:" + grpcPort;
  }

  public JvmProcess process() {
    return process;
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
