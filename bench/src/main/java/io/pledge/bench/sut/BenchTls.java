package io.pledge.bench.sut;

import io.pledge.common.tls.ThrowawayPki;
import io.pledge.common.tls.TlsOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Mutual TLS for one scenario, as the demo sets it up: a {@link ThrowawayPki} in the scenario's directory under trust
 * domain {@code pledge-bench}, and the role policy of docs/security.md, so that the cost measured includes the
 * authorization check on every call.
 */
public final class BenchTls {

  static final String POLICY = """
      # identity pattern = roles (docs/security.md)
      spiffe://pledge-bench/coordinator = coordinator
      spiffe://pledge-bench/participant/* = participant, lock-user
      spiffe://pledge-bench/client = client, lock-user
      """;

  private BenchTls() {}

  public static ThrowawayPki create(Path dir) throws IOException {
    return ThrowawayPki.create(dir, "pledge-bench", POLICY);
  }

  /** The driver's TLS: its certificate (role client and lock-user) is its identity to every server. */
  public static TlsOptions client(ThrowawayPki pki) {
    return pki.client("client", "client");
  }
}
