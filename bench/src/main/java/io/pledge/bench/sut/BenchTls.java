package io.pledge.bench.sut;

import io.pledge.common.tls.DevCertificates;
import io.pledge.common.tls.TlsOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Mutual TLS for one scenario, as the demo sets it up: a throwaway CA made in the scenario's directory, a
 * certificate per process with a SPIFFE-style identity (and the loopback address, which the clients dial), and the
 * role policy of docs/security.md, so that the cost measured includes the authorization check on every call.
 */
public final class BenchTls {

  static final String POLICY = """
      # identity pattern = roles (docs/security.md)
      spiffe://pledge-bench/coordinator = coordinator
      spiffe://pledge-bench/participant/* = participant, lock-user
      spiffe://pledge-bench/client = client, lock-user
      """;

  private final Path dir;
  private final DevCertificates ca;
  private final Path caFile;
  private final Path policy;

  private BenchTls(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.ca = DevCertificates.authority("pledge-bench-ca");
    this.caFile = ca.writeCa(dir.resolve("ca.crt"));
    this.policy = Files.writeString(dir.resolve("policy.properties"), POLICY);
  }

  public static BenchTls create(Path dir) throws IOException {
    return new BenchTls(dir);
  }

  /** The {@code tls.*} settings of the server {@code name}, whose identity is spiffe://pledge-bench/{@code path}. */
  public Map<String, String> settings(String name, String path) {
    ca.issue(name, "uri:spiffe://pledge-bench/" + path, "localhost", "ip:127.0.0.1").write(dir, name);
    Map<String, String> s = new LinkedHashMap<>();
    s.put(TlsOptions.CERT.name(), dir.resolve(name + ".crt").toString());
    s.put(TlsOptions.KEY.name(), dir.resolve(name + ".key").toString());
    s.put(TlsOptions.CA.name(), caFile.toString());
    s.put(io.pledge.common.tls.Policy.FILE.name(), policy.toString());
    return s;
  }

  /** The driver's TLS: its certificate (role client and lock-user) is its identity to every server. */
  public TlsOptions client() {
    settings("client", "client");
    return TlsOptions.mutual(dir.resolve("client.crt"), dir.resolve("client.key"), caFile);
  }
}
