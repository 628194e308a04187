package io.pledge.lock.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real child JVM running a test main, with the test classpath; {@link #kill()} is {@code kill -9}. */
final class ChildJvm {

  private static final List<String> JVM_FLAGS = List.of("--add-modules", "java.se", "--add-exports",
      "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
      "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED", "--add-opens",
      "jdk.management/com.sun.management.internal=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC");

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ChildJvm(Process process, String name) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("ChildJvm: output closed: " + e.getMessage());
      }
    }, "child-output-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static ChildJvm start(Class<?> main, List<String> args) throws IOException {
    return start(List.of(), main, args);
  }

  /** Runs the JVM behind {@code prefix} (e.g. {@code ip netns exec NS}, which execs it: the pid stays the JVM's). */
  static ChildJvm start(List<String> prefix, Class<?> main, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JVM_FLAGS);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    return new ChildJvm(p, main.getSimpleName());
  }

  /** The first output line starting with {@code prefix}, or null. */
  String line(String prefix) {
    for (String l : lines) {
      if (l.startsWith(prefix)) {
        return l;
      }
    }
    return null;
  }

  List<String> output() {
    return List.copyOf(lines);
  }

  /** SIGKILL: no shutdown hook, no goodbye to the cluster. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  boolean alive() {
    return process.isAlive();
  }
}
