package io.pledge.bench.report;

import io.pledge.bench.scenario.ScenarioResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The throughput/latency curve: p50 and p99 commit latency against committed transactions per second. */
final class LatencyPlot {

  static final String FILE = "latency-throughput.png";

  private LatencyPlot() {}

  /** Draws the points (one per load level) into {@code dir/}{@value #FILE}; false when there is nothing to draw. */
  static boolean write(Path dir, String title, List<ScenarioResult> points) throws IOException {
    List<ScenarioResult> sorted = points.stream().filter(p -> p.load().committed() > 0)
        .sorted(Comparator.comparingDouble(p -> p.rate() > 0 ? p.rate() : p.concurrency())).toList();
    if (sorted.isEmpty()) {
      return false;
    }
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(900).height(540).title(title)
        .xAxisTitle("committed transactions per second").yAxisTitle("commit latency (ms)").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(8)
        .setChartBackgroundColor(java.awt.Color.WHITE);
    double[] x = sorted.stream().mapToDouble(p -> p.load().committedPerSecond()).toArray();
    chart.addSeries("p50", x, sorted.stream().mapToDouble(p -> p.load().millis(50)).toArray())
        .setMarker(SeriesMarkers.CIRCLE);
    chart.addSeries("p99", x, sorted.stream().mapToDouble(p -> p.load().millis(99)).toArray())
        .setMarker(SeriesMarkers.DIAMOND);
    String labels = String.join(", ", sorted.stream()
        .map(p -> p.rate() > 0 ? (long) p.rate() + "/s" : p.concurrency() + " clients").toList());
    chart.setTitle(title + " (" + labels + ")");
    BitmapEncoder.saveBitmap(chart, dir.resolve(FILE).toString(), BitmapEncoder.BitmapFormat.PNG);
    return true;
  }
}
