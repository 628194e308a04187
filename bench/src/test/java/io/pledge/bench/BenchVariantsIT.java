package io.pledge.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenarios of issues 13, 14 and 15 end to end with seconds of load: PostgreSQL through the XA adapter, mutual
 * TLS, a coordinator cluster and its failover. About three minutes (the failover kills and restarts a member five
 * times), so behind {@code -Dpledge.bench.variants=true}. Checks that each runs and measures what it reports; never
 * how fast.
 */
@EnabledIfSystemProperty(named = "pledge.bench.variants", matches = "true")
class BenchVariantsIT {

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void variantsRunAndMeasureWhatTheyReport() throws Exception {
    Path out = dir.resolve("results");
    int exit = BenchMain.run("--scenarios=2p-postgres,2p-tls,2p-cluster,2p-cluster-failover,locks-uncontended-tls",
        "--clients=8", "--curve=8", "--warmup=3s", "--duration=4s", "--progress=2s", "--connections=2",
        "--out=" + out, "--data-dir=" + dir.resolve("data"));
    assertEquals(0, exit, "exit code");
    JsonArray scenarios = new JsonObject(Files.readString(out.resolve("results.json"))).getJsonArray("scenarios");
    assertEquals(5, scenarios.size());
    for (int i = 0; i < scenarios.size(); i++) {
      JsonObject s = scenarios.getJsonObject(i);
      assertTrue(s.getLong("committed") > 0, s.getString("label") + " committed nothing: " + s.encode());
    }

    JsonObject pg = byLabel(scenarios, "2p-postgres").getJsonObject("measures");
    for (String p : new String[] {"p1", "p2"}) {
      Double sessions = pg.getDouble("PostgreSQL sessions opened, database " + p + " per transaction");
      Double pool = pg.getDouble("XA pool connections opened, " + p + " per transaction");
      // Read, and bounded: a pooled participant cannot open more connections than it has transactions.
      assertTrue(sessions != null && sessions >= 0 && sessions <= 1, pg.encode());
      assertTrue(pool != null && pool >= 0 && pool <= 1, pg.encode());
    }
    assertEquals(0, byLabel(scenarios, "2p-tls").getLong("errors"));
    assertTrue(byLabel(scenarios, "2p-tls").getDouble("coordinatorSyncsPerTx") != null,
        "the coordinator's HTTPS /metrics was read");

    JsonObject cluster = byLabel(scenarios, "2p-cluster").getJsonObject("measures");
    for (int n = 0; n < 3; n++) {
      Double syncs = cluster.getDouble("Raft log syncs, coordinator-n" + n + " per transaction");
      assertTrue(syncs != null && syncs > 0, cluster.encode());
    }
    JsonObject failover = byLabel(scenarios, "2p-cluster-failover").getJsonObject("measures");
    assertEquals(5.0, failover.getDouble("leader kills"), failover.encode());
    assertTrue(failover.getDouble("failover min ms") <= failover.getDouble("failover median ms")
        && failover.getDouble("failover median ms") <= failover.getDouble("failover max ms"), failover.encode());
    assertTrue(Files.readString(out.resolve("report.md")).contains("## Scenario measurements"));
  }

  private static JsonObject byLabel(JsonArray scenarios, String label) {
    return scenarios.stream().map(JsonObject.class::cast).filter(s -> s.getString("label").equals(label))
        .findFirst().orElseThrow(() -> new AssertionError("no " + label + " in " + scenarios.encode()));
  }
}
