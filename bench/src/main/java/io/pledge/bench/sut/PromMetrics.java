package io.pledge.bench.sut;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/** Reads counters from a Prometheus text endpoint ({@code /metrics} of every Pledge server). */
public final class PromMetrics {

  /** DurableStore's sync counter (Micrometer {@code pledge.log.syncs}), one series per log. */
  public static final String SYNCS = "pledge_log_syncs_total";

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private PromMetrics() {}

  /** A counter that scrapes {@code url} and sums every series of {@code metric}. */
  public static Node.SyncCounter scraping(URI url, String metric) {
    return () -> {
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? OptionalDouble.of(sum(r.body(), metric)) : OptionalDouble.empty();
      } catch (IOException e) {
        return OptionalDouble.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return OptionalDouble.empty();
      }
    };
  }

  /** Sum of every series of {@code metric} in a Prometheus text exposition (0 when absent). */
  static double sum(String text, String metric) {
    double total = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(metric) && line.length() > metric.length()
          && (line.charAt(metric.length()) == '{' || line.charAt(metric.length()) == ' ')) {
        // The value is the last field (Micrometer writes no timestamps); label values may hold spaces.
        total += Double.parseDouble(line.substring(line.trim().lastIndexOf(' ') + 1).trim());
      }
    }
    return total;
  }
}
