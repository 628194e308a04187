package io.pledge.common.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * JDK key and trust managers over Pledge's TLS files, for a library that takes managers rather than Vert.x options
 * (Apache Ratis' gRPC transport between coordinator cluster members). They follow the files as Vert.x servers and
 * clients do ({@link TlsReload}: new handshakes use a rotated certificate), and the trust manager, besides checking
 * the chain against the CA, accepts only a peer whose certificate identity holds {@code peerRole} in the policy:
 * under mutual TLS a client's or a participant's certificate from the same CA cannot speak Raft. Without a policy,
 * any certificate of the CA is a peer, as on the gRPC ports.
 */
public final class FollowingManagers implements AutoCloseable {

  private final Optional<Policy> policy;
  private final Role peerRole;
  private final Runnable stopWatching;
  private volatile X509ExtendedKeyManager keys;
  private volatile X509ExtendedTrustManager trust;

  private FollowingManagers(Vertx vertx, TlsOptions tls, Optional<Policy> policy, Role peerRole) {
    this.policy = policy;
    this.peerRole = peerRole;
    install(vertx, tls.read());
    long timer = TlsReload.watch(vertx, tls, "raft", material -> {
      install(vertx, material);
      return Future.succeededFuture(true);
    });
    this.stopWatching = () -> vertx.cancelTimer(timer);
  }

  /** Managers from the files as they are now, then following them. Needs {@code tls.cert} and {@code tls.key}. */
  public static FollowingManagers start(Vertx vertx, TlsOptions tls, Optional<Policy> policy, Role peerRole) {
    if (tls.cert().isEmpty() || tls.key().isEmpty()) {
      throw new IllegalArgumentException("TLS between cluster members needs tls.cert and tls.key");
    }
    return new FollowingManagers(vertx, tls, policy, peerRole);
  }

  private void install(Vertx vertx, TlsOptions.Material material) {
    try {
      X509ExtendedKeyManager newKeys = only(X509ExtendedKeyManager.class,
          material.keyCert().getKeyManagerFactory(vertx).getKeyManagers());
      X509ExtendedTrustManager newTrust = only(X509ExtendedTrustManager.class,
          material.trust().getTrustManagerFactory(vertx).getTrustManagers());
      keys = newKeys;
      trust = newTrust;
    } catch (Exception e) {
      throw new IllegalArgumentException("the TLS files do not load: " + e.getMessage(), e);
    }
  }

  private static <T> T only(Class<T> type, Object[] managers) {
    return Arrays.stream(managers).filter(type::isInstance).map(type::cast).findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + type.getSimpleName() + " among " + managers.length));
  }

  public KeyManager keyManager() {
    return keyManager;
  }

  public TrustManager trustManager() {
    return trustManager;
  }

  /** Whether {@code chain}'s identity may be a peer (the chain itself is checked against the CA separately). */
  void checkPeer(X509Certificate[] chain) throws CertificateException {
    Optional<String> identity = Identities.of(List.of(chain));
    if (identity.isEmpty()) {
      throw new CertificateException("the peer's certificate names no identity (SAN URI or DNS)");
    }
    if (policy.isPresent() && !policy.get().roles(identity.get()).contains(peerRole)) {
      throw new CertificateException("the peer " + identity.get() + " lacks the role " + peerRole.text()
          + " in the policy");
    }
  }

  @Override
  public void close() {
    stopWatching.run();
  }

  private final X509ExtendedKeyManager keyManager = new X509ExtendedKeyManager() {
    @Override
    public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
      return keys.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
      return keys.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, SSLEngine engine) {
      return keys.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
      return keys.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
      return keys.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, SSLEngine engine) {
      return keys.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public java.security.PrivateKey getPrivateKey(String alias) {
      return keys.getPrivateKey(alias);
    }
  };

  private final X509ExtendedTrustManager trustManager = new X509ExtendedTrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, socket);
      checkPeer(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkServerTrusted(chain, authType, socket);
      checkPeer(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, engine);
      checkPeer(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust.checkServerTrusted(chain, authType, engine);
      checkPeer(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust.checkClientTrusted(chain, authType);
      checkPeer(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      trust.checkServerTrusted(chain, authType);
      checkPeer(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust.getAcceptedIssuers();
    }
  };
}
