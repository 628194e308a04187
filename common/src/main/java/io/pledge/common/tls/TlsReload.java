package io.pledge.common.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificate rotation without a restart: every {@link TlsOptions#reloadInterval()} the files are read (on a worker
 * thread) and, when their content changed, the server's or client's SSL options are replaced. Connections open
 * stay on the certificate they were made with; new ones get the new one (cert-manager renews well before expiry,
 * so the old one is still valid meanwhile). A change that does not load (a key that does not match, a file caught
 * half-written) is logged and the previous certificate stays; the next change is tried again.
 */
public final class TlsReload {

  private static final Logger LOG = LoggerFactory.getLogger(TlsReload.class);

  private TlsReload() {}

  /** {@code server}, whose TLS follows the files until it is closed. */
  public static HttpServer server(Vertx vertx, TlsOptions tls, HttpServer server) {
    long timer = watch(vertx, tls, "server", m -> server.updateSSLOptions(tls.serverSsl(m), true));
    return (HttpServer) Proxy.newProxyInstance(TlsReload.class.getClassLoader(), new Class<?>[] {HttpServer.class},
        (proxy, method, args) -> {
          if (method.getName().equals("close") && (args == null || args.length == 0)) {
            vertx.cancelTimer(timer);
          }
          try {
            Object result = method.invoke(server, args);
            return result == server ? proxy : result;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Makes {@code client}'s TLS follow the files; run the returned action when the client closes. */
  public static Runnable client(Vertx vertx, TlsOptions tls, HttpClientAgent client) {
    long timer = watch(vertx, tls, "client", m -> client.updateSSLOptions(tls.clientSsl(m), true));
    return () -> vertx.cancelTimer(timer);
  }

  static long watch(Vertx vertx, TlsOptions tls, String role,
      Function<TlsOptions.Material, Future<Boolean>> update) {
    AtomicReference<TlsOptions.Material> last = new AtomicReference<>(tls.read());
    return vertx.setPeriodic(tls.reloadInterval().toMillis(), id -> vertx.executeBlocking(tls::read, false)
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.atWarn().addKeyValue("role", role).log("TLS files cannot be read; keeping the current certificate: {}",
                ar.cause().getMessage());
            return;
          }
          TlsOptions.Material now = ar.result();
          TlsOptions.Material before = last.get();
          if (now.sameAs(before) || !last.compareAndSet(before, now)) {
            return;
          }
          Future<Boolean> updated;
          try {
            updated = update.apply(now);
          } catch (RuntimeException e) {
            updated = Future.failedFuture(e);
          }
          updated.onComplete(done -> {
            if (done.succeeded()) {
              LOG.atInfo().addKeyValue("role", role).addKeyValue("cert", tls.cert().map(Object::toString).orElse(""))
                  .log("TLS certificate reloaded; new connections use it");
            } else {
              LOG.atWarn().addKeyValue("role", role).log("TLS files changed but do not load; keeping the current"
                  + " certificate: {}", String.valueOf(done.cause().getMessage()));
            }
          });
        }));
  }

  /**
   * Warns when a server listens beyond loopback without TLS: then anyone on the network may call it (issue 14).
   */
  public static void warnIfPlaintext(String component, String host, Optional<TlsOptions> tls) {
    warnIfPlaintext(component, host, tls.isPresent());
  }

  public static void warnIfPlaintext(String component, String host, boolean tls) {
    if (!tls && !isLoopback(host)) {
      LOG.atWarn().addKeyValue("component", component).addKeyValue("host", host).log("{} listens on {} without"
          + " TLS: anyone who can reach it may call it; set tls.cert, tls.key and tls.ca (docs/security.md)",
          component, host);
    }
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }
}
