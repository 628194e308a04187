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
import io.pledge.coordinator.cluster.ClusterMetrics;
import io.pledge.coordinator.cluster.ClusterOptions;
import io.pledge.coordinator.cluster.Leadership;
import io.pledge.coordinator.cluster.RaftNode;
import io.pledge.coordinator.cluster.RaftTxLog;
import io.pledge.common.tls.FollowingManagers;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.Role;
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
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
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
  /** CoordinatorAdmin's own server when {@code admin.port} is set; otherwise it is served on the gRPC port. */
  private HttpServer adminHttpServer;
  private OpsServer ops;
  private long purgeTimer = -1;
  private RaftNode raft;
  /** TLS between cluster members (Raft), following the files; empty in plaintext and for a single coordinator. */
  private Optional<FollowingManagers> raftTls = Optional.empty();
  private Leadership leadership;

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
    if (options.cluster().isPresent()) {
      return startMember(options.cluster().get());
    }
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
          GrpcServer admin = options.adminPort().isPresent() ? GrpcTransport.grpcServer(vertx, policy) : grpc;
          admin.addService(CoordinatorAdminGrpcService.of(new AdminGrpcService(manager)));
          return listenAdmin(admin::handle).compose(v -> listen(options.grpcPort(), grpc::handle));
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

  /**
   * A member of a coordinator cluster: the Raft member over this node's H2 log; gRPC requests are served by the
   * leader's manager only, others get UNAVAILABLE naming the leader. Ready once it serves gRPC, leader or not.
   */
  private Future<?> startMember(ClusterOptions cluster) {
    return vertx.executeBlocking(() -> {
      H2TxLog h2 = H2TxLog.open(options.dataDir(), options.logMaxBatch(), options.logCommitDelay(), registry,
          System::currentTimeMillis);
      try {
        raftTls = tls.map(t -> FollowingManagers.start(vertx, t, policy, Role.COORDINATOR));
        return RaftNode.start(cluster, h2, raftTls);
      } catch (java.io.IOException | RuntimeException e) {
        h2.close();
        throw e;
      }
    }).compose(node -> {
      raft = node;
      channel = new GrpcParticipantChannel(vertx, context, tls);
      ClusterMetrics clusterMetrics = ClusterMetrics.bind(registry, node, cluster,
          () -> leadership == null ? 0 : leadership.leaderChanges());
      RaftTxLog replicated = new RaftTxLog(node.h2(), clusterMetrics.timed(node::propose), cluster.nodeId(),
          () -> cluster.self().host() + ":" + grpcPort(), System::currentTimeMillis, options.logMaxBatch());
      CoordinatorMetrics metrics = new CoordinatorMetrics(registry, options.maxParticipantSeries());
      leadership = new Leadership(vertx, node, () -> {
        TransactionManager m = new TransactionManager(vertx, context, options.nodeId(), replicated, channel,
            options.protocol(), options.limits(), metrics, System::currentTimeMillis);
        options.lockService().ifPresent(endpoint -> {
          if (locks == null) {
            locks = new LockReleaser(vertx, endpoint, tls);
          }
          m.onFinished(locks::release);
        });
        return m;
      }, m -> {});
      return OpsServer.start(vertx, options.host(), options.httpPort(), "coordinator", registry, this::memberReady,
          tls);
    }).compose(opsServer -> {
      ops = opsServer;
      GrpcServer grpc = GrpcTransport.grpcServer(vertx, policy);
      CoordinatorGrpcService coordinator = new CoordinatorGrpcService(leadership::require, options.endpointAllow());
      grpc.addService(TransactionCoordinatorGrpcService.of(coordinator));
      SessionRoutes.coordinator(coordinator).bindTo(grpc);
      GrpcServer admin = options.adminPort().isPresent() ? GrpcTransport.grpcServer(vertx, policy) : grpc;
      admin.addService(CoordinatorAdminGrpcService.of(new AdminGrpcService(leadership::require, vertx, raft)));
      return listenAdmin(leaderOnly(admin)).compose(v -> listen(options.grpcPort(), leaderOnly(grpc)));
    }).compose(http -> {
      grpcHttpServer = http;
      leadership.start();
      purgeTimer = vertx.setPeriodic(options.purgeInterval().toMillis(), t -> {
        TransactionManager m = leadership.current();
        if (m != null && m.isReady()) {
          m.purge(options.logRetention()).onFailure(e -> LOG.warn("purging the log failed", e));
        }
      });
      LOG.atInfo().addKeyValue("cluster", options.nodeId()).addKeyValue("member", cluster.nodeId())
          .addKeyValue("grpcPort", grpcPort()).addKeyValue("httpPort", httpPort())
          .addKeyValue("dataDir", options.dataDir().toAbsolutePath()).log("coordinator member started");
      ready.complete();
      return Future.succeededFuture();
    });
  }

  /** Ready: the leader once recovered; a follower once it knows a leader and applied what it knows committed. */
  private boolean memberReady() {
    TransactionManager m = leadership.current();
    if (m != null) {
      return m.isReady();
    }
    return raft.followerCaughtUp();
  }

  /**
   * A trailers-only gRPC answer to any call reaching a member that does not lead: UNAVAILABLE, the leader in the
   * message ({@code pledge-leader=host:port}) and in the {@code pledge-leader} trailer (coordinator.proto).
   */
  private void notLeader(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    response.putHeader("content-type", "application/grpc").putHeader("grpc-status", "14")
        .putHeader("grpc-message", percentEncode(leadership.notLeaderMessage()));
    leadership.leaderHint().ifPresent(hint -> response.putHeader(Leadership.TRAILER, hint));
    response.end();
  }

  private static String percentEncode(String message) {
    StringBuilder b = new StringBuilder();
    for (byte c : message.getBytes(StandardCharsets.UTF_8)) {
      if (c >= 0x20 && c < 0x7f && c != '%') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c & 0xff));
      }
    }
    return b.toString();
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
    if (leadership != null) {
      leadership.stop();
    }
    Future<Void> grpcClosed = Future.join(grpcHttpServer == null ? Future.succeededFuture() : grpcHttpServer.close(),
        adminHttpServer == null ? Future.succeededFuture() : adminHttpServer.close()).mapEmpty();
    Future<Void> opsClosed = ops == null ? Future.succeededFuture() : ops.close();
    return Future.join(grpcClosed, opsClosed).eventually(() -> channel == null ? Future.succeededFuture()
        : channel.close()).eventually(() -> locks == null ? Future.succeededFuture() : locks.close())
        .eventually(() -> vertx.executeBlocking(() -> {
          if (log != null) {
            log.close();
          }
          if (raft != null) {
            raft.close();
          }
          raftTls.ifPresent(FollowingManagers::close);
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

  /** The port CoordinatorAdmin is served on: its own ({@code admin.port}) or the gRPC port. */
  public int adminPort() {
    return adminHttpServer == null ? grpcPort() : adminHttpServer.actualPort();
  }

  /**
   * With {@code admin.port} set, serves CoordinatorAdmin on a server of its own (same host, TLS and policy), so that
   * a NetworkPolicy or firewall can keep operators' calls apart from applications'; otherwise nothing to do.
   */
  private Future<Void> listenAdmin(io.vertx.core.Handler<HttpServerRequest> handler) {
    if (options.adminPort().isEmpty()) {
      return Future.succeededFuture();
    }
    return listen(options.adminPort().getAsInt(), handler).map(http -> {
      adminHttpServer = http;
      return null;
    });
  }

  /** A gRPC server on this coordinator's host and {@code port}, with its stream bound and TLS. */
  private Future<HttpServer> listen(int port, io.vertx.core.Handler<HttpServerRequest> handler) {
    return GrpcTransport.server(vertx, new HttpServerOptions().setHost(options.host()).setPort(port),
        options.maxConcurrentStreams(), tls).requestHandler(handler).listen();
  }

  /** A cluster member's requests: served by {@code server} while this member leads, else UNAVAILABLE naming it. */
  private io.vertx.core.Handler<HttpServerRequest> leaderOnly(GrpcServer server) {
    return request -> {
      if (leadership.current() == null) {
        notLeader(request);
      } else {
        server.handle(request);
      }
    };
  }

  public int httpPort() {
    return ops.port();
  }

  public String nodeId() {
    return options.nodeId();
  }

  /** The Raft member in cluster mode; null for a single coordinator. */
  public RaftNode raft() {
    return raft;
  }

  /** Whether this member leads and its recovery is done (always true for a single coordinator once started). */
  public boolean isServing() {
    if (leadership == null) {
      return manager != null && manager.isReady();
    }
    TransactionManager m = leadership.current();
    return m != null && m.isReady();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
