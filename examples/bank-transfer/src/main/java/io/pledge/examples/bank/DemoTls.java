package io.pledge.examples.bank;

import io.pledge.common.tls.DevCertificates;
import io.pledge.common.tls.TlsOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The demo's mutual TLS: a throwaway CA made at start (its key never leaves the demo's directory), one certificate
 * per process with a SPIFFE-style identity, and the policy that gives each its role (docs/security.md). What a
 * deployment does with cert-manager, in a few lines.
 */
final class DemoTls {

  static final String POLICY = """
      # identity pattern = roles (docs/security.md)
      spiffe://pledge-demo/coordinator = coordinator
      spiffe://pledge-demo/bank/* = participant, lock-user
      spiffe://pledge-demo/driver = client, operator
      """;

  private final Path dir;
  private final DevCertificates ca;
  private final Path caFile;
  private final Path policy;

  private DemoTls(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.ca = DevCertificates.authority("pledge-demo-ca");
    this.caFile = ca.writeCa(dir.resolve("ca.crt"));
    this.policy = Files.writeString(dir.resolve("policy.properties"), POLICY);
  }

  static DemoTls create(Path dir) throws IOException {
    return new DemoTls(dir);
  }

  /** The settings (tls.*) of the process {@code name}, whose identity is spiffe://pledge-demo/{@code path}. */
  Map<String, String> settings(String name, String path) {
    ca.issue(name, "uri:spiffe://pledge-demo/" + path, "localhost", "ip:127.0.0.1").write(dir, name);
    Map<String, String> s = new LinkedHashMap<>();
    s.put("tls.cert", dir.resolve(name + ".crt").toString());
    s.put("tls.key", dir.resolve(name + ".key").toString());
    s.put("tls.ca", caFile.toString());
    s.put("tls.policy", policy.toString());
    return s;
  }

  /** The same as flags, for a bank's JVM. */
  List<String> flags(String name, String path) {
    List<String> flags = new ArrayList<>();
    settings(name, path).forEach((k, v) -> flags.add("--" + k + "=" + v));
    return flags;
  }

  /** A client's TLS: the driver of the demo (begins and commits transfers, reads the coordinator's list). */
  Optional<TlsOptions> client(String name, String path) {
    settings(name, path);
    return Optional.of(TlsOptions.mutual(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), caFile));
  }

  Path dir() {
    return dir;
  }
}
