package io.pledge.bench.sut;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
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

  /** A cluster member's Raft log syncs (Ratis), one per group-committed batch of entries. */
  public static final String CLUSTER_SYNCS = "pledge_cluster_log_syncs_total";

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private PromMetrics() {}

  /** A counter that scrapes {@code url} and sums every series of {@code metric}. */
  public static Node.SyncCounter scraping(URI url, String metric) {
    return scraping(HTTP, url, List.of(metric));
  }

  /**
   * A counter that scrapes {@code url} with {@code http} (an {@code https} endpoint needs a client that trusts its
   * CA: {@link #trusting}) and sums every series of each of {@code metrics}.
   */
  public static Node.SyncCounter scraping(HttpClient http, URI url, List<String> metrics) {
    return () -> {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(15)).build(),
            HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? OptionalDouble.of(metrics.stream().mapToDouble(m -> sum(r.body(), m)).sum())
            : OptionalDouble.empty();
      } catch (IOException e) {
        return OptionalDouble.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return OptionalDouble.empty();
      }
    };
  }

  /** The plain client, or one that trusts the PEM CA {@code ca} (the servers' ops endpoints under TLS). */
  public static HttpClient client(Optional<Path> ca) {
    return ca.map(PromMetrics::trusting).orElse(HTTP);
  }

  /** An HTTP client that trusts the PEM certificates in {@code ca} (and nothing else). */
  static HttpClient trusting(Path ca) {
    try (InputStream in = Files.newInputStream(ca)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trust.getTrustManagers(), null);
      // The connect timeout covers the TLS handshake, whose first run in a fresh JVM on a busy machine takes seconds.
      return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).sslContext(ssl).build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot trust the CA in " + ca + ": " + e.getMessage(), e);
    }
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
