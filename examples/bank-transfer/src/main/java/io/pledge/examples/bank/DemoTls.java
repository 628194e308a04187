package io.pledge.examples.bank;

import io.pledge.common.tls.ThrowawayPki;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The demo's mutual TLS: a {@link ThrowawayPki} under trust domain {@code pledge-demo}, and the policy that gives
 * each of its processes its role (docs/security.md).
 */
final class DemoTls {

  static final String POLICY = """
      # identity pattern = roles (docs/security.md)
      spiffe://pledge-demo/coordinator = coordinator
      spiffe://pledge-demo/bank/* = participant, lock-user
      spiffe://pledge-demo/driver = client, operator
      """;

  private DemoTls() {}

  static ThrowawayPki create(Path dir) throws IOException {
    return ThrowawayPki.create(dir, "pledge-demo", POLICY);
  }
}
