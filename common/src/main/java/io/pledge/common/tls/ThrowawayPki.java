package io.pledge.common.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mutual TLS for processes on loopback, with no set-up: a throwaway CA made in {@code dir} (its key never leaves
 * it), one certificate per process with a SPIFFE-style identity {@code spiffe://<trust domain>/<path>} (and the
 * loopback names clients dial), and a policy file giving each identity its roles (docs/security.md). What a
 * deployment does with cert-manager, for the demo and the bench. Needs BouncyCastle, as {@link DevCertificates}.
 */
public final class ThrowawayPki {

  private final Path dir;
  private final String trustDomain;
  private final DevCertificates ca;
  private final Path caFile;
  private final Path policy;

  private ThrowawayPki(Path dir, String trustDomain, String policyText) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.trustDomain = trustDomain;
    this.ca = DevCertificates.authority(trustDomain + "-ca");
    this.caFile = ca.writeCa(dir.resolve("ca.crt"));
    this.policy = Files.writeString(dir.resolve("policy.properties"), policyText);
  }

  /** @param policyText the policy file's content: identity patterns under {@code trustDomain} and their roles */
  public static ThrowawayPki create(Path dir, String trustDomain, String policyText) throws IOException {
    return new ThrowawayPki(dir, trustDomain, policyText);
  }

  /** Issues {@code name}'s certificate (identity {@code spiffe://<trust domain>/<path>}); its tls.* settings. */
  public Map<String, String> settings(String name, String path) {
    ca.issue(name, "uri:spiffe://" + trustDomain + "/" + path, "localhost", "ip:127.0.0.1").write(dir, name);
    Map<String, String> s = new LinkedHashMap<>();
    s.put(TlsOptions.CERT.name(), dir.resolve(name + ".crt").toString());
    s.put(TlsOptions.KEY.name(), dir.resolve(name + ".key").toString());
    s.put(TlsOptions.CA.name(), caFile.toString());
    s.put(Policy.FILE.name(), policy.toString());
    return s;
  }

  /** {@link #settings} as command-line flags, for a child JVM. */
  public List<String> flags(String name, String path) {
    List<String> flags = new ArrayList<>();
    settings(name, path).forEach((k, v) -> flags.add("--" + k + "=" + v));
    return flags;
  }

  /** A client's TLS: {@code name}'s certificate is its identity to every server. */
  public TlsOptions client(String name, String path) {
    settings(name, path);
    return TlsOptions.mutual(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), caFile);
  }

  public Path dir() {
    return dir;
  }
}
