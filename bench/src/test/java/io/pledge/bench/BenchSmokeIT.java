package io.pledge.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness end to end with a few seconds of load: Pledge with two participants (coordinator and participants
 * as child JVMs, plus one curve point), the Narayana baseline, and the lock service in its own JVM. Checks that
 * the report files are written and the numbers are sane; never how fast anything is.
 */
class BenchSmokeIT {

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void runsScenariosAndWritesASaneReport() throws Exception {
    Path out = dir.resolve("results");
    int exit = BenchMain.run("--scenarios=echo,echo-session,2p,narayana-2p,locks-uncontended", "--clients=8",
        "--curve=2", "--warmup=2s", "--duration=3s", "--progress=1s", "--connections=2", "--out=" + out,
        "--data-dir=" + dir.resolve("data"));
    assertEquals(0, exit, "exit code");

    for (String file : List.of("report.md", "results.json", "results.csv", "latency-throughput.png")) {
      assertTrue(Files.size(out.resolve(file)) > 0, file);
    }
    String report = Files.readString(out.resolve("report.md"));
    assertTrue(report.contains("| 2p | 8 |") && report.contains("narayana-2p") && report.contains("load average"),
        report);
    assertTrue(report.contains("against Narayana"), report);
    assertTrue(report.contains("call-session frames/s"), report);
    assertEquals(7, Files.readAllLines(out.resolve("results.csv")).size(),
        "header + echo, echo-session, 2p, 2p@c2, narayana, locks");

    JsonArray scenarios = new JsonObject(Files.readString(out.resolve("results.json"))).getJsonArray("scenarios");
    assertEquals(6, scenarios.size());
    for (int i = 0; i < scenarios.size(); i++) {
      JsonObject s = scenarios.getJsonObject(i);
      String label = s.getString("label");
      assertTrue(s.getLong("committed") > 0, label + " committed nothing: " + s.encode());
      assertEquals(0, s.getLong("errors"), label + ": " + s.getString("firstError"));
      JsonObject ms = s.getJsonObject("latencyMs");
      double[] ordered = {ms.getDouble("p50"), ms.getDouble("p90"), ms.getDouble("p99"), ms.getDouble("p999"),
          ms.getDouble("max")};
      for (int j = 1; j < ordered.length; j++) {
        assertTrue(ordered[j - 1] <= ordered[j], label + " percentiles out of order: " + ms.encode());
      }
      assertTrue(s.getDouble("cpuSecondsPerTx") > 0, label + " CPU per transaction: " + s.encode());
    }

    JsonObject pledge = byLabel(scenarios, "2p");
    // Client, coordinator and two participants, each its own JVM with its own numbers.
    JsonArray processes = pledge.getJsonArray("processes");
    assertEquals(4, processes.size(), processes.encode());
    assertEquals(4, processes.stream().map(p -> ((JsonObject) p).getLong("pid")).distinct().count());
    processes.forEach(p -> assertTrue(((JsonObject) p).getLong("peakRssBytes") > 0, p.toString()));
    // Every yes vote forces a record and so does every commit decision; group commit only lowers the count.
    double participantSyncs = pledge.getDouble("participantSyncsPerTx");
    assertTrue(participantSyncs > 0 && participantSyncs <= 2.0 + 1e-9, "participant syncs/tx " + participantSyncs);
    double coordinatorSyncs = pledge.getDouble("coordinatorSyncsPerTx");
    assertTrue(coordinatorSyncs > 0 && coordinatorSyncs <= 1.0 + 1e-9, "coordinator syncs/tx " + coordinatorSyncs);
    // By construction on the short path (the report's table shows the counted ones).
    assertEquals(7, pledge.getInteger("callsPerTx"));

    JsonObject narayana = byLabel(scenarios, "narayana-2p");
    assertNotNull(narayana.getDouble("participantSyncsPerTx"), narayana.encode());
  }

  private static JsonObject byLabel(JsonArray scenarios, String label) {
    return scenarios.stream().map(JsonObject.class::cast).filter(s -> s.getString("label").equals(label))
        .findFirst().orElseThrow(() -> new AssertionError("no " + label + " in " + scenarios.encode()));
  }
}
