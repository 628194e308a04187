package io.pledge.bench.report;

import java.util.Map;

/**
 * What the report says about the run itself.
 *
 * @param failures scenarios that could not run, with why
 */
public record RunInfo(String startedAt, String command, String deployment, String load, MachineInfo machine,
    String loadAverageBefore, String loadAverageAfter, double wallSeconds, Map<String, String> failures) {

  public RunInfo {
    failures = Map.copyOf(failures);
  }
}
