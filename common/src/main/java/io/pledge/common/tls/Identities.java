package io.pledge.common.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** A caller's identity from its certificate: the SAN URI (SPIFFE-style), else the first SAN DNS name. */
public final class Identities {

  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  private Identities() {}

  public static Optional<String> of(List<? extends Certificate> chain) {
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
      return Optional.empty();
    }
    return of(leaf);
  }

  public static Optional<String> of(X509Certificate cert) {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
    if (sans == null) {
      return Optional.empty();
    }
    Optional<String> dns = Optional.empty();
    for (List<?> san : sans) {
      int type = (Integer) san.get(0);
      if (type == SAN_URI) {
        return Optional.of((String) san.get(1));
      }
      if (type == SAN_DNS && dns.isEmpty()) {
        dns = Optional.of((String) san.get(1));
      }
    }
    return dns;
  }
}
