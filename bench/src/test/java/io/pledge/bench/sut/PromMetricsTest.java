package io.pledge.bench.sut;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PromMetricsTest {

  @Test
  void sumsEverySeriesOfTheCounterAndNothingElse() {
    String text = """
        # HELP pledge_log_syncs_total Device syncs (one per forced batch)
        # TYPE pledge_log_syncs_total counter
        pledge_log_syncs_total{log="coordinator"} 120.0
        pledge_log_syncs_total{log="participant",note="a b"} 3.0
        pledge_log_syncs_totally_else 99.0
        pledge_log_sync_latency_seconds_count{log="coordinator"} 120.0
        """;
    assertEquals(123.0, PromMetrics.sum(text, PromMetrics.SYNCS), 1e-9);
    assertEquals(0.0, PromMetrics.sum("", PromMetrics.SYNCS), 1e-9);
  }
}
