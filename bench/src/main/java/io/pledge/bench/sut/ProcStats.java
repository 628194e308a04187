package io.pledge.bench.sut;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * CPU time and peak memory of a local process, from Linux's {@code /proc}. Elsewhere (or for a process that has
 * gone) the answers are empty: the report then shows "n/a" instead of a made-up number.
 */
public final class ProcStats {

  /** Clock ticks per second of {@code utime}/{@code stime}: USER_HZ, 100 on every mainstream Linux build. */
  static final double TICKS_PER_SECOND = clockTicks();

  private ProcStats() {}

  /** User plus system CPU seconds the process has used so far ({@code /proc/<pid>/stat} utime + stime). */
  public static OptionalDouble cpuSeconds(long pid) {
    try {
      return parseCpuSeconds(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    } catch (IOException | RuntimeException e) {
      return OptionalDouble.empty();
    }
  }

  /** Peak resident set size in bytes ({@code VmHWM} of {@code /proc/<pid>/status}). */
  public static OptionalLong peakRssBytes(long pid) {
    try {
      return parsePeakRss(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  static OptionalDouble parseCpuSeconds(String stat) {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // After the name, f[0] is field 3 (state): utime is field 14, stime field 15.
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return OptionalDouble.of(ticks / TICKS_PER_SECOND);
  }

  static OptionalLong parsePeakRss(String status) {
    return status.lines().filter(l -> l.startsWith("VmHWM:")).findFirst()
        .map(l -> OptionalLong.of(Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024))
        .orElse(OptionalLong.empty());
  }

  private static double clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Double.parseDouble(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
