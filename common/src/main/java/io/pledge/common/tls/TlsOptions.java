package io.pledge.common.tls;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * TLS of one Pledge process, for its servers and its clients alike: PEM certificate chain and private key (its
 * identity), the CA it trusts (for peers' certificates), whether a server asks for client certificates, and how
 * often the files are checked for a rotation ({@link TlsReload}). TLS 1.3 only, ALPN for HTTP/2; the JDK's TLS
 * through Vert.x and Netty, no crypto of Pledge's own.
 *
 * <p>The files are read into memory each time options are built, so that what Vert.x holds is the content, not the
 * path: a changed file makes different options, which {@code updateSSLOptions} then applies to new connections.
 *
 * @param cert PEM certificate chain (leaf first); empty for a client without a certificate
 * @param key PEM private key (PKCS#8 or PKCS#1) of {@code cert}; empty exactly when {@code cert} is
 * @param ca PEM certificates of the trusted CA(s)
 * @param clientAuth whether a server asks for (REQUEST) or requires (REQUIRED) a client certificate
 * @param reloadInterval how often the files are checked for a change
 */
public record TlsOptions(Optional<Path> cert, Optional<Path> key, Path ca, ClientAuth clientAuth,
    Duration reloadInterval) {

  public static final String PROTOCOL = "TLSv1.3";

  public static final ConfigKey<String> CERT = ConfigKey.string("tls.cert", "",
      "PEM certificate chain of this process (its identity as a server and as a client); empty with tls.ca empty:"
          + " plaintext");
  public static final ConfigKey<String> KEY = ConfigKey.string("tls.key", "", "PEM private key of tls.cert");
  public static final ConfigKey<String> CA = ConfigKey.string("tls.ca", "",
      "PEM certificate(s) of the CA trusted for peers' certificates; setting it (or tls.cert) turns TLS 1.3 on");
  public static final ConfigKey<String> CLIENT_AUTH = ConfigKey.string("tls.client-auth", "require",
      "client certificates under TLS: none, request or require (mutual TLS)");
  public static final ConfigKey<Duration> RELOAD_INTERVAL = ConfigKey.duration("tls.reload-interval",
      Duration.ofSeconds(10), "how often the certificate, key and CA files are checked; a change is applied to new"
          + " connections without a restart");

  /** The settings of a process that serves (and calls others with the same identity). */
  public static final List<ConfigKey<?>> KEYS = List.of(CERT, KEY, CA, CLIENT_AUTH, RELOAD_INTERVAL, Policy.FILE);

  public TlsOptions {
    if (cert.isPresent() != key.isPresent()) {
      throw new IllegalArgumentException("tls.cert and tls.key go together: give both or neither");
    }
    if (reloadInterval.isNegative() || reloadInterval.isZero()) {
      throw new IllegalArgumentException("tls.reload-interval must be positive");
    }
  }

  /** Mutual TLS: this identity, this CA, client certificates required. */
  public static TlsOptions mutual(Path cert, Path key, Path ca) {
    return new TlsOptions(Optional.of(cert), Optional.of(key), ca, ClientAuth.REQUIRED,
        RELOAD_INTERVAL.defaultValue());
  }

  /** A client that trusts {@code ca} and has no certificate of its own. */
  public static TlsOptions trusting(Path ca) {
    return new TlsOptions(Optional.empty(), Optional.empty(), ca, ClientAuth.NONE, RELOAD_INTERVAL.defaultValue());
  }

  public TlsOptions withReloadInterval(Duration interval) {
    return new TlsOptions(cert, key, ca, clientAuth, interval);
  }

  public TlsOptions withClientAuth(ClientAuth auth) {
    return new TlsOptions(cert, key, ca, auth, reloadInterval);
  }

  /**
   * TLS as {@code config} sets it: empty (plaintext) when neither tls.cert nor tls.ca is set.
   *
   * @throws IllegalArgumentException naming the key, for an unusable setting or a file that cannot be read
   */
  public static Optional<TlsOptions> from(Config config) {
    String cert = config.get(CERT).trim();
    String key = config.get(KEY).trim();
    String ca = config.get(CA).trim();
    if (cert.isEmpty() && key.isEmpty() && ca.isEmpty()) {
      return Optional.empty();
    }
    if (ca.isEmpty()) {
      throw new IllegalArgumentException("tls.ca is not set: TLS needs the CA that peers' certificates are checked"
          + " against");
    }
    TlsOptions tls = new TlsOptions(cert.isEmpty() ? Optional.empty() : Optional.of(Path.of(cert)),
        key.isEmpty() ? Optional.empty() : Optional.of(Path.of(key)), Path.of(ca),
        parseClientAuth(config.get(CLIENT_AUTH)), config.get(RELOAD_INTERVAL));
    tls.read(); // an unreadable file stops the start with its name, not the first handshake
    return Optional.of(tls);
  }

  static ClientAuth parseClientAuth(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "none" -> ClientAuth.NONE;
      case "request" -> ClientAuth.REQUEST;
      case "require", "required" -> ClientAuth.REQUIRED;
      default -> throw new IllegalArgumentException("tls.client-auth '" + text + "' is not one of none, request,"
          + " require");
    };
  }

  /** The three files' contents now: what a reload compares. */
  Material read() {
    return new Material(cert.map(p -> readFile(CERT, p)).orElse(null), key.map(p -> readFile(KEY, p)).orElse(null),
        readFile(CA, ca));
  }

  private static byte[] readFile(ConfigKey<String> setting, Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException(setting.name() + " " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** The options of a server from the files as they are now. */
  public ServerSSLOptions serverSsl() {
    return serverSsl(read());
  }

  ServerSSLOptions serverSsl(Material m) {
    if (m.cert() == null) {
      throw new IllegalArgumentException("a TLS server needs tls.cert and tls.key");
    }
    return new ServerSSLOptions().setKeyCertOptions(m.keyCert()).setTrustOptions(m.trust())
        .setClientAuth(clientAuth).setUseAlpn(true).setEnabledSecureTransportProtocols(Set.of(PROTOCOL));
  }

  /** The options of a client from the files as they are now: the server's name or address is verified. */
  public ClientSSLOptions clientSsl() {
    return clientSsl(read());
  }

  ClientSSLOptions clientSsl(Material m) {
    ClientSSLOptions ssl = new ClientSSLOptions().setTrustOptions(m.trust()).setUseAlpn(true)
        .setEnabledSecureTransportProtocols(Set.of(PROTOCOL)).setHostnameVerificationAlgorithm("HTTPS");
    return m.cert() == null ? ssl : ssl.setKeyCertOptions(m.keyCert());
  }

  /**
   * The TLS implementation: BoringSSL through netty-tcnative where its native library loads (Linux x86-64, shipped
   * with Pledge), the JDK's elsewhere. Both speak TLS 1.3 with the same files; BoringSSL costs far less CPU per
   * record, which is what long-lived call sessions spend TLS on (issue 14's bench).
   */
  public static SSLEngineOptions engine() {
    return OpenSSLEngineOptions.isAvailable() && OpenSSLEngineOptions.isAlpnAvailable() ? new OpenSSLEngineOptions()
        : new JdkSSLEngineOptions();
  }

  /** {@code options} with TLS on as set here. */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    ServerSSLOptions ssl = serverSsl();
    HttpServerOptions copy = new HttpServerOptions(options).setSsl(true).setUseAlpn(true).setSslEngineOptions(engine())
        .setKeyCertOptions(ssl.getKeyCertOptions()).setTrustOptions(ssl.getTrustOptions())
        .setClientAuth(ssl.getClientAuth());
    copy.setEnabledSecureTransportProtocols(Set.of(PROTOCOL));
    return copy;
  }

  /** {@code options} with TLS on as set here. */
  public HttpClientOptions applyTo(HttpClientOptions options) {
    ClientSSLOptions ssl = clientSsl();
    HttpClientOptions copy = new HttpClientOptions(options).setSsl(true).setUseAlpn(true).setSslEngineOptions(engine())
        .setTrustOptions(ssl.getTrustOptions()).setVerifyHost(true);
    if (ssl.getKeyCertOptions() != null) {
      copy.setKeyCertOptions(ssl.getKeyCertOptions());
    }
    copy.setEnabledSecureTransportProtocols(Set.of(PROTOCOL));
    return copy;
  }

  /** File contents; {@code cert} and {@code key} null for a client without a certificate. */
  record Material(byte[] cert, byte[] key, byte[] ca) {

    PemKeyCertOptions keyCert() {
      return new PemKeyCertOptions().setCertValue(Buffer.buffer(cert)).setKeyValue(Buffer.buffer(key));
    }

    PemTrustOptions trust() {
      return new PemTrustOptions().addCertValue(Buffer.buffer(ca));
    }

    boolean sameAs(Material other) {
      return other != null && java.util.Arrays.equals(cert, other.cert) && java.util.Arrays.equals(key, other.key)
          && java.util.Arrays.equals(ca, other.ca);
    }
  }
}
