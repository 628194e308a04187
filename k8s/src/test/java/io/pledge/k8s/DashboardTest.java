package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard is valid JSON whose queries name only series the servers export. The exported names are
 * read from the Micrometer meters in the Java sources and turned into Prometheus names the way Micrometer's
 * Prometheus registry does: dots become underscores, counters end in {@code _total}, timers in {@code _seconds},
 * and histograms and summaries add {@code _bucket}, {@code _count}, {@code _sum} and {@code _max}.
 */
class DashboardTest {

  private static final Pattern METER =
      Pattern.compile("\\b(Counter|Timer|Gauge|DistributionSummary)\\.builder\\(\\s*\"([a-z][a-z0-9_.]*)\"");
  private static final Pattern SERIES = Pattern.compile("\\bpledge_[a-z0-9_]+");

  private static JsonNode dashboard;
  private static Set<String> exported;

  @BeforeAll
  static void load() throws IOException {
    dashboard = Manifests.JSON.readTree(Manifests.DIR.resolve("grafana-dashboard.json").toFile());
    exported = exportedSeries();
  }

  static Set<String> exportedSeries() throws IOException {
    Set<String> names = new TreeSet<>();
    List<Path> sources;
    try (Stream<Path> files = Files.walk(Manifests.ROOT)) {
      sources = files.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> p.toString().contains("/src/main/java/")).toList();
    }
    for (Path source : sources) {
      Matcher m = METER.matcher(Files.readString(source));
      while (m.find()) {
        String base = m.group(2).replace('.', '_');
        switch (m.group(1)) {
          case "Counter" -> names.add(base + "_total");
          case "Gauge" -> names.add(base);
          case "Timer" -> distribution(names, base + "_seconds");
          case "DistributionSummary" -> distribution(names, base);
          default -> throw new IllegalStateException(m.group(1));
        }
      }
    }
    return names;
  }

  private static void distribution(Set<String> names, String base) {
    for (String suffix : List.of("", "_bucket", "_count", "_sum", "_max")) {
      names.add(base + suffix);
    }
  }

  private static List<String> expressions() {
    List<String> exprs = new ArrayList<>();
    dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
    dashboard.path("templating").path("list").forEach(v -> exprs.add(v.path("definition").asText()));
    return exprs;
  }

  @Test
  void theCodeExportsTheMetersTheDashboardIsAbout() {
    // Guards the name conversion above: if these are missing, the regex or the code changed.
    assertTrue(exported.containsAll(List.of("pledge_transactions_committed_total", "pledge_commit_latency_seconds_bucket",
        "pledge_lock_acquire_seconds_bucket", "pledge_lock_holders", "pledge_log_batch_size")), exported.toString());
  }

  @Test
  void everyQueryNamesOnlyExportedSeries() {
    List<String> exprs = expressions();
    assertFalse(exprs.isEmpty(), "no queries");
    for (String expr : exprs) {
      Matcher m = SERIES.matcher(expr);
      while (m.find()) {
        assertTrue(exported.contains(m.group()), "the dashboard queries " + m.group()
            + ", which no meter in the code exports (in: " + expr + ")");
      }
    }
  }

  @Test
  void theMainMetricsAreOnTheDashboard() {
    Set<String> used = new TreeSet<>();
    expressions().forEach(e -> SERIES.matcher(e).results().forEach(r -> used.add(r.group())));
    for (String main : List.of("pledge_transactions_committed_total", "pledge_transactions_aborted_total",
        "pledge_commit_latency_seconds_bucket", "pledge_transactions_in_doubt", "pledge_log_batch_size",
        "pledge_log_sync_latency_seconds_bucket", "pledge_lock_acquire_seconds_bucket", "pledge_lock_grants_total",
        "pledge_lock_releases_total", "pledge_lock_expiries_total", "pledge_lock_deadlocks_total",
        "pledge_lock_refusals_total", "pledge_lock_holders", "pledge_lock_waiters")) {
      assertTrue(used.contains(main), "the dashboard does not show " + main);
    }
  }

  @Test
  void panelsAreWellFormed() {
    Set<Integer> ids = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      assertTrue(ids.add(panel.path("id").asInt()), "duplicate panel id " + panel.path("id"));
      assertFalse(panel.path("title").asText().isBlank(), "a panel without a title");
      JsonNode grid = panel.path("gridPos");
      assertTrue(grid.path("w").asInt() > 0 && grid.path("x").asInt() + grid.path("w").asInt() <= 24,
          panel.path("title") + ": gridPos");
      if (!panel.path("type").asText().equals("row")) {
        assertTrue(panel.path("targets").size() > 0, panel.path("title") + ": no queries");
        Set<String> refs = new TreeSet<>();
        panel.path("targets").forEach(t -> assertTrue(refs.add(t.path("refId").asText()), panel.path("title") + ": refId"));
      }
    }
    assertEquals("pledge-overview", dashboard.path("uid").asText());
  }
}
