package io.pledge.coordinator;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pledge.api.v1.CoordinatorAdminGrpcService;
import io.pledge.api.v1.TransactionCoordinatorGrpcService;
import io.pledge.common.config.Config;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.SessionRoutes;
import io.pledge.common.ops.OpsServer;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.tls.TlsReload;
import io.pledge.coordinator.log.H2TxLog;
import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.metrics.CoordinatorMetrics;
import io.pledge.coordinator.protocol.ParticipantChannel;
import io.pledge.coordinator.protocol.TransactionManager;
import io.pledge.coordinator.transport.AdminGrpcService;
import io.pledge.coordinator.transport.CoordinatorGrpcService;
import io.pledge.coordinator.transport.GrpcParticipantChannel;
import io.pledge.coordinator.transport.LockReleaser;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coordinator: its log, protocol engine, gRPC server and ops endpoint, all on one Vert.x context (a verticle).
 * Many can run in one JVM (tests); nothing is static.
 */
public final class CoordinatorServer extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorServer.class);

  private final CoordinatorOptions options;
  /** TLS of every port and of the calls out (to participants, the lock service); empty: plaintext. */
  private final Optional<TlsOptions> tls;
  /** Who may call what over TLS ({@code tls.policy}); empty: any certificate of the CA may call everything. */
  private final Optional<Policy> policy;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Promise<Void> ready = Promise.promise();
  private TxLog log;
  private ParticipantChannel channel;
  private TransactionManager manager;
  private LockReleaser locks;
  private HttpServer grpcHttpServer;
  private OpsServer ops;
  private long purgeTimer = -1;

  private CoordinatorServer(CoordinatorOptions options, Optional<TlsOptions> tls, Optional<Policy> policy) {
    this.options = options;
    this.tls = tls;
    this.policy = policy;
    // Heap on /metrics: what an operator (and the flood test) watches when callers push the limits.
    new JvmMemoryMetrics().bindTo(registry);
  }

  /**
   * Starts a coordinator; the future completes once it serves requests and recovery is done (/health is ready).
   */
  public static Future<CoordinatorServer> start(Vertx vertx, Config config) {
    CoordinatorOptions options;
    Optional<TlsOptions> tls;
    Optional<Policy> policy;
    try {
      options = CoordinatorOptions.from(config);
      tls = TlsOptions.from(config);
      policy = Policy.from(config);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    TlsReload.warnIfPlaintext("coordinator", options.host(), tls);
    CoordinatorServer server = new CoordinatorServer(options, tls, policy);
    return vertx.deployVerticle(server).compose(id -> server.ready.future()).map(server);
  }

  @Override
  public Future<?> start() {
    // Opening the log (file, schema migration) blocks: a worker does it, never the event loop.
    return vertx.executeBlocking(() -> H2TxLog.open(options.dataDir(), options.logMaxBatch(),
        options.logCommitDelay(), registry, System::currentTimeMillis)).compose(opened -> {
          log = opened;
          channel = new GrpcParticipantChannel(vertx, context, tls);
          manager = new TransactionManager(vertx, context, options.nodeId(), log, channel, options.protocol(),
              options.limits(), new CoordinatorMetrics(registry, options.maxParticipantSeries()),
              System::currentTimeMillis);
          options.lockService().ifPresent(endpoint -> {
            locks = new LockReleaser(vertx, endpoint, tls);
            manager.onFinished(locks::release);
          });
          return OpsServer.start(vertx, options.host(), options.httpPort(), "coordinator", registry,
              manager::isReady, tls);
        }).compose(opsServer -> {
          ops = opsServer;
          GrpcServer grpc = GrpcTransport.grpcServer(vertx, policy);
          CoordinatorGrpcService coordinator = new CoordinatorGrpcService(manager, options.endpointAllow());
          grpc.addService(TransactionCoordinatorGrpcService.of(coordinator));
          SessionRoutes.coordinator(coordinator).bindTo(grpc);
          grpc.addService(CoordinatorAdminGrpcService.of(new AdminGrpcService(manager)));
          return GrpcTransport.server(vertx, new HttpServerOptions().setHost(options.host()).setPort(options.grpcPort()),
              options.maxConcurrentStreams(), tls).requestHandler(grpc).listen();
        }).compose(http -> {
          grpcHttpServer = http;
          // Recovery runs after the servers listen: until it is done, requests get UNAVAILABLE and /health 503.
          manager.start().onComplete(ar -> {
            if (ar.succeeded()) {
              schedulePurge();
              LOG.atInfo().addKeyValue("node", options.nodeId()).addKeyValue("grpcPort", grpcPort())
                  .addKeyValue("httpPort", httpPort()).addKeyValue("dataDir", options.dataDir().toAbsolutePath())
                  .log("coordinator started");
              ready.complete();
            } else {
              LOG.error("recovery failed", ar.cause());
              ready.fail(ar.cause());
            }
          });
          return Future.succeededFuture();
        });
  }

  private void schedulePurge() {
    purgeTimer = vertx.setPeriodic(options.purgeInterval().toMillis(), t ->
        manager.purge(options.logRetention()).onFailure(e -> LOG.warn("purging the log failed", e)));
  }

  @Override
  public Future<?> stop() {
    if (purgeTimer >= 0) {
      vertx.cancelTimer(purgeTimer);
    }
    if (manager != null) {
      manager.stop();
    }
    Future<Void> grpcClosed = grpcHttpServer == null ? Future.succeededFuture() : grpcHttpServer.close();
    Future<Void> opsClosed = ops == null ? Future.succeededFuture() : ops.close();
    return Future.join(grpcClosed, opsClosed).eventually(() -> channel == null ? Future.succeededFuture()
        : channel.close()).eventually(() -> locks == null ? Future.succeededFuture() : locks.close()).eventually(() -> vertx.executeBlocking(() -> {
          if (log != null) {
            log.close();
          }
          return null;
        }));
  }

  /** Undeploys: servers close, then the log is closed cleanly. */
  public Future<Void> close() {
    return deploymentID() == null ? Future.succeededFuture() : vertx.undeploy(deploymentID());
  }

  public int grpcPort() {
    return grpcHttpServer.actualPort();
  }

  public int httpPort() {
    return ops.port();
  }

  public String nodeId() {
    return options.nodeId();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
