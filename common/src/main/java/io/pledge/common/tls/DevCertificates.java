package io.pledge.common.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for tests and the demo (never for production: its key lives in a temp dir).
 * Issues EC P-256 certificates valid as both TLS server and client, with the SANs given: a URI (a SPIFFE-style
 * identity such as {@code spiffe://pledge/coordinator}), DNS names and IP addresses. Needs BouncyCastle
 * ({@code bcpkix-jdk18on}) on the class path, which common declares optional.
 */
public final class DevCertificates {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final KeyPair keys;
  private final X509Certificate cert;

  private DevCertificates(String name, KeyPair keys, X509Certificate cert) {
    this.name = name;
    this.keys = keys;
    this.cert = cert;
  }

  /** A new CA valid from an hour ago for a day. */
  public static DevCertificates authority(String name) {
    KeyPair keys = keyPair();
    X500Name subject = new X500Name("CN=" + name);
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
          keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new DevCertificates(name, keys, sign(b, keys.getPrivate()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A certificate and key issued by this CA; see {@link #issue(String, Instant, Instant, String...)}. */
  public Issued issue(String commonName, String... sans) {
    Instant now = Instant.now();
    return issue(commonName, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), sans);
  }

  /**
   * @param sans each {@code uri:...} (SAN URI), {@code ip:...} (SAN IP address) or a DNS name
   */
  public Issued issue(String commonName, Instant notBefore, Instant notAfter, String... sans) {
    KeyPair leaf = keyPair();
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + name),
          serial(), Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + commonName), leaf.getPublic());
      List<GeneralName> names = new ArrayList<>();
      for (String san : sans) {
        if (san.startsWith("uri:")) {
          names.add(new GeneralName(GeneralName.uniformResourceIdentifier, san.substring(4)));
        } else if (san.startsWith("ip:")) {
          names.add(new GeneralName(GeneralName.iPAddress, san.substring(3)));
        } else {
          names.add(new GeneralName(GeneralName.dNSName, san));
        }
      }
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      return new Issued(pem(sign(b, keys.getPrivate())), pem(leaf.getPrivate()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String certPem() {
    return pem(cert);
  }

  /** Writes the CA certificate to {@code file} (what {@code tls.ca} names). */
  public Path writeCa(Path file) {
    return write(file, certPem());
  }

  /** A certificate (PEM) and its private key (PKCS#8 PEM). */
  public record Issued(String certPem, String keyPem) {

    /** Writes {@code <dir>/<name>.crt} and {@code <dir>/<name>.key}; returns the certificate's path. */
    public Path write(Path dir, String name) {
      DevCertificates.write(dir.resolve(name + ".key"), keyPem);
      return DevCertificates.write(dir.resolve(name + ".crt"), certPem);
    }
  }

  /** Written to a sibling and moved into place, so that a reader never sees half a file. */
  static Path write(Path file, String content) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempFile(parent, ".tmp-", ".pem");
      Files.writeString(tmp, content);
      return Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(64, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey) {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a certificate", e);
    }
  }

  private static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
