package io.pledge.lock;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.ops.OpsServer;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.tls.TlsReload;
import io.pledge.lock.cluster.LockEngine;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.lock.hazelcast.HazelcastLockStore;
import io.pledge.lock.hazelcast.HazelcastSetup;
import io.pledge.lock.hazelcast.AuthorityKeeper;
import io.pledge.lock.hazelcast.LockGuard;
import io.pledge.lock.hazelcast.MemberAuthority;
import io.pledge.lock.metrics.LockMetrics;
import io.pledge.lock.transport.LockGrpcService;
import io.pledge.lock.transport.RequestLimits;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lock server: a Hazelcast member (or client), the gRPC LockService and the ops endpoint, wired together. Many can
 * run in one JVM (tests): nothing is static.
 */
public final class LockServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LockServer.class);

  private final HazelcastInstance hazelcast;
  /** Null in client mode (the members are not ours). */
  private final AuthorityKeeper keeper;
  private final Vertx vertx;
  private final HttpServer grpc;
  private final OpsServer ops;

  private LockServer(HazelcastInstance hazelcast, AuthorityKeeper keeper, Vertx vertx, HttpServer grpc,
      OpsServer ops) {
    this.hazelcast = hazelcast;
    this.keeper = keeper;
    this.vertx = vertx;
    this.grpc = grpc;
    this.ops = ops;
  }

  /**
   * Starts everything and returns once the gRPC and ops ports listen. Blocks (Hazelcast joins its cluster): call it
   * from a main or test thread, never from an event loop.
   */
  public static LockServer start(Config options) throws InterruptedException, ExecutionException, TimeoutException {
    // Read first: an unreadable certificate stops the start before Hazelcast joins.
    Optional<TlsOptions> tls = TlsOptions.from(options);
    Optional<Policy> policy = Policy.from(options);
    TlsReload.warnIfPlaintext("lock service", options.get(LockServiceOptions.GRPC_HOST), tls);
    boolean client = options.get(LockServiceOptions.HAZELCAST_CLIENT);
    LockGuard guard = new LockGuard(LockServiceOptions.lockDelay(options), System::currentTimeMillis);
    MemberAuthority authority = new MemberAuthority(MemberAuthority.validity(
        options.get(LockServiceOptions.DELAY_MARGIN), options.get(LockServiceOptions.HEARTBEAT_TIMEOUT)),
        System::nanoTime);
    HazelcastInstance hz = client ? HazelcastClient.newHazelcastClient(HazelcastSetup.client(options))
        : Hazelcast.newHazelcastInstance(HazelcastSetup.member(options, guard, authority));
    if (!client && (options.get(LockServiceOptions.DELAY_ON_START) || hz.getCluster().getMembers().size() > 1)) {
      // Joining: partitions are about to move here from the members already running. Alone: the start-up grace,
      // in which holders re-assert the locks an earlier incarnation of the cluster granted (docs/lock-service.md).
      guard.onClusterChange();
    }
    AuthorityKeeper keeper = client ? null : AuthorityKeeper.start(hz, authority, options.get(LockServiceOptions.QUORUM));
    Vertx vertx = Vertx.vertx();
    try {
      if (keeper != null && hz.getCluster().getMembers().size() >= options.get(LockServiceOptions.QUORUM)) {
        awaitAuthority(authority); // else no majority can confirm it before others join: it refuses until then
      }
      Context context = vertx.getOrCreateContext();
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      HazelcastLockStore store = new HazelcastLockStore(hz, !client, context);
      LockMetrics metrics = new LockMetrics(registry, store::localCounts);
      LockEngine engine = new LockEngine(vertx, context, store, metrics,
          options.get(LockServiceOptions.DEADLOCK_TIMEOUT));
      // Defaults never exceed the maxima, so that lowering a maximum alone is enough.
      var maxLease = options.get(LockServiceOptions.MAX_LEASE);
      var maxWait = options.get(LockServiceOptions.MAX_WAIT);
      RequestLimits limits = new RequestLimits(maxLease, min(options.get(LockServiceOptions.DEFAULT_LEASE), maxLease),
          maxWait, min(options.get(LockServiceOptions.DEFAULT_WAIT), maxWait));
      LockGrpcService service = new LockGrpcService(engine, limits);
      Future<HttpServer> grpc = listenGrpc(vertx, service, options, tls, policy);
      Future<OpsServer> ops = OpsServer.start(vertx, options.get(LockServiceOptions.OPS_HOST),
          options.get(LockServiceOptions.OPS_PORT), "lock-service", registry, () -> hz.getLifecycleService()
              .isRunning(), tls);
      Future.all(grpc, ops).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      LockServer server = new LockServer(hz, keeper, vertx, grpc.result(), ops.result());
      LOG.atInfo().addKeyValue("grpcPort", server.grpcPort()).addKeyValue("opsPort", server.opsPort())
          .addKeyValue("mode", client ? "hazelcast-client" : "embedded-member")
          .addKeyValue("members", hz.getCluster().getMembers().size()).log("lock service started");
      return server;
    } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException e) {
      if (keeper != null) {
        keeper.close();
      }
      vertx.close();
      hz.shutdown();
      throw e;
    }
  }

  /**
   * Serves only once a majority has confirmed this member (the first round trip), so that the first requests are not
   * refused; a member that cannot reach a majority starts anyway and refuses with UNAVAILABLE until it can.
   */
  private static void awaitAuthority(MemberAuthority authority) throws InterruptedException {
    try {
      authority.firstConfirmation().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.atWarn().log("no majority confirmed this member within 10 s; it refuses grants until one does");
    }
  }

  /**
   * The gRPC endpoint on several event loops: one HTTP server per verticle instance, all on the same port (Vert.x
   * shares the port and hands each new connection to the next server). Port 0 becomes -1: Vert.x shares a random
   * port among servers asking for the same negative port, while each port-0 server would get a port of its own.
   * Returns one of the servers.
   */
  private static Future<HttpServer> listenGrpc(Vertx vertx, LockGrpcService service, Config options,
      Optional<TlsOptions> tls, Optional<Policy> policy) {
    int loops = options.get(LockServiceOptions.GRPC_EVENT_LOOPS);
    int instances = loops > 0 ? loops : Runtime.getRuntime().availableProcessors();
    int port = options.get(LockServiceOptions.GRPC_PORT);
    List<HttpServer> servers = new ArrayList<>();
    return vertx.deployVerticle(() -> new GrpcListener(service, options.get(LockServiceOptions.GRPC_HOST),
            port == 0 ? -1 : port, servers, tls, policy), new DeploymentOptions().setInstances(instances))
        .map(id -> {
          synchronized (servers) {
            return servers.get(0);
          }
        });
  }

  /** One HTTP server with its own gRPC server, on the event loop of its verticle instance. */
  private static final class GrpcListener extends VerticleBase {
    private final LockGrpcService service;
    private final String host;
    private final int port;
    private final List<HttpServer> started;
    private final Optional<TlsOptions> tls;
    private final Optional<Policy> policy;

    GrpcListener(LockGrpcService service, String host, int port, List<HttpServer> started,
        Optional<TlsOptions> tls, Optional<Policy> policy) {
      this.tls = tls;
      this.policy = policy;
      this.service = service;
      this.host = host;
      this.port = port;
      this.started = started;
    }

    @Override
    public Future<?> start() {
      GrpcServer grpcServer = GrpcTransport.grpcServer(vertx, policy);
      service.bindTo(grpcServer);
      return GrpcTransport.server(vertx, new HttpServerOptions(), tls).requestHandler(grpcServer).listen(port, host).onSuccess(server -> {
        synchronized (started) {
          started.add(server);
        }
      });
    }
  }

  private static java.time.Duration min(java.time.Duration a, java.time.Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  public int grpcPort() {
    return grpc.actualPort();
  }

  public int opsPort() {
    return ops.port();
  }

  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.atWarn().setCause(e).log("vert.x did not close cleanly");
    }
    if (keeper != null) {
      keeper.close();
    }
    hazelcast.shutdown();
  }
}
