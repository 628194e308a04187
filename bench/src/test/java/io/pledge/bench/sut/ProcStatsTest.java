package io.pledge.bench.sut;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcStatsTest {

  @Test
  void cpuIsUtimePlusStimeCountedAfterACommandNameWithSpacesAndParentheses() {
    // Fields 14 and 15 (utime 250, stime 50 ticks) after a name holding ") (".
    String stat = "4242 (java (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 1000 0 0";
    assertEquals(300 / ProcStats.TICKS_PER_SECOND, ProcStats.parseCpuSeconds(stat).getAsDouble(), 1e-9);
  }

  @Test
  void peakRssIsVmHwmInBytes() {
    String status = "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 100000 kB\n";
    assertEquals(123456L * 1024, ProcStats.parsePeakRss(status).getAsLong());
  }

  @Test
  void readsThisProcessAndNothingForAMissingOne() {
    long self = ProcessHandle.current().pid();
    assertTrue(ProcStats.cpuSeconds(self).getAsDouble() > 0);
    assertTrue(ProcStats.peakRssBytes(self).getAsLong() > 0);
    assertTrue(ProcStats.cpuSeconds(Long.MAX_VALUE).isEmpty());
  }
}
