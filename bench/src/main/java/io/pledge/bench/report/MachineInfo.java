package io.pledge.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the report says about the machine, read from the JVM and Linux's {@code /proc}. */
public record MachineInfo(int cores, String cpu, String jdk, String os, String memory) {

  public static MachineInfo current() {
    return new MachineInfo(Runtime.getRuntime().availableProcessors(),
        procLine("/proc/cpuinfo", "model name"),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        procLine("/proc/meminfo", "MemTotal"));
  }

  /** The 1, 5 and 15 minute load averages, or "n/a". */
  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  private static String procLine(String file, String key) {
    try {
      return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(key)).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("n/a");
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }
}
