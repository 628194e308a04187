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
import io.pledge.coordinator.protocol.TransactionManagers;
import io.pledge.coordinator.transport.AdminGrpcService;
import io.pledge.coordinator.transport.CoordinatorGrpcService;
import io.pledge.coordinator.transport.GrpcParticipantChannel;
import io.pledge.coordinator.transport.LockReleaser;
import io.vertx.core.Context;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coordinator: its log, protocol engines, gRPC server and ops endpoint. The verticle's context runs the servers
 * and the first {@link TransactionManager}; with {@code server.event-loops} above 1 the other managers run on
 * event loops of their own, each with its own channels to participants and to the lock service
 * ({@link TransactionManagers}). Many can run in one JVM (tests); nothing is static.
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
  /** The managers' event-loop contexts, the verticle's first. */
  private List<Context> loops;
  /** Per manager (by index): participant channels, each used on its manager's context only. */
  private final List<ParticipantChannel> channels = new ArrayList<>();
  /** Shared by the managers (one outage, one line): see {@link LockReleaser}'s threading. */
  private LockReleaser locks;
  private TransactionManagers managers;
  /** The gRPC servers, one per manager's event loop, all on one port (the first one's). */
  private final List<HttpServer> grpcHttpServers = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** CoordinatorAdmin's own servers when {@code admin.port} is set; otherwise it is served on the gRPC port. */
  private final List<HttpServer> adminHttpServers = new java.util.concurrent.CopyOnWriteArrayList<>();
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
          managers = TransactionManagers.on(perLoop(), log, managerFactory(log,
              new CoordinatorMetrics(registry, options.maxParticipantSeries())));
          return OpsServer.start(vertx, options.host(), options.httpPort(), "coordinator", registry,
              managers::isReady, tls);
        }).compose(opsServer -> {
          ops = opsServer;
          CoordinatorGrpcService coordinator = new CoordinatorGrpcService(managers, options.endpointAllow());
          AdminGrpcService adminService = new AdminGrpcService(managers);
          return listenAll(coordinator, adminService, server -> server::handle);
        }).compose(v -> {
          // Recovery runs after the servers listen: until it is done, requests get UNAVAILABLE and /health 503.
          managers.start().onComplete(ar -> {
            if (ar.succeeded()) {
              schedulePurge();
              LOG.atInfo().addKeyValue("node", options.nodeId()).addKeyValue("grpcPort", grpcPort())
                  .addKeyValue("httpPort", httpPort()).addKeyValue("dataDir", options.dataDir().toAbsolutePath())
                  .addKeyValue("eventLoops", managers.size()).log("coordinator started");
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
   * The managers' event loops, and per loop a participant channel: each manager's calls to participants run on its
   * own loop (the channel's phase-2 batches are per loop too). The lock releaser is one for all.
   */
  private List<Context> perLoop() {
    loops = TransactionManagers.eventLoops(vertx, context, options.eventLoops());
    for (Context loop : loops) {
      channels.add(new GrpcParticipantChannel(vertx, loop, tls));
    }
    options.lockService().ifPresent(endpoint -> locks = new LockReleaser(vertx, context, endpoint, tls));
    return loops;
  }

  /**
   * Makes manager {@code i} over {@code log}: its loop's channel, the shared lock releaser and metrics, and its share
   * of the limits that bound the coordinator as a whole.
   */
  private TransactionManagers.Factory managerFactory(TxLog log, CoordinatorMetrics metrics) {
    int n = loops.size();
    return (i, loop, epoch, sequences) -> {
      TransactionManager m = new TransactionManager(vertx, loop, options.nodeId(), log, channels.get(i),
          TransactionManagers.share(options.protocol(), i, n), TransactionManagers.share(options.limits(), i, n),
          metrics, System::currentTimeMillis, epoch, sequences);
      if (locks != null) {
        m.onFinished(locks::release);
      }
      return m;
    };
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
      perLoop();
      ClusterMetrics clusterMetrics = ClusterMetrics.bind(registry, node, cluster,
          () -> leadership == null ? 0 : leadership.leaderChanges());
      RaftTxLog replicated = new RaftTxLog(node.h2(), clusterMetrics.timed(node::propose), cluster.nodeId(),
          () -> cluster.self().host() + ":" + grpcPort(), System::currentTimeMillis, options.logMaxBatch());
      CoordinatorMetrics metrics = new CoordinatorMetrics(registry, options.maxParticipantSeries());
      TransactionManagers.Factory factory = managerFactory(replicated, metrics);
      leadership = new Leadership(vertx, node, () -> TransactionManagers.on(loops, replicated, factory), m -> {});
      return OpsServer.start(vertx, options.host(), options.httpPort(), "coordinator", registry, this::memberReady,
          tls);
    }).compose(opsServer -> {
      ops = opsServer;
      CoordinatorGrpcService coordinator = new CoordinatorGrpcService(leadership::require, options.endpointAllow());
      AdminGrpcService adminService = new AdminGrpcService(leadership::require, vertx, raft);
      return listenAll(coordinator, adminService, this::leaderOnly);
    }).compose(v -> {
      leadership.start();
      purgeTimer = vertx.setPeriodic(options.purgeInterval().toMillis(), t -> {
        TransactionManagers m = leadership.current();
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
    TransactionManagers m = leadership.current();
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
        managers.purge(options.logRetention()).onFailure(e -> LOG.warn("purging the log failed", e)));
  }

  @Override
  public Future<?> stop() {
    if (purgeTimer >= 0) {
      vertx.cancelTimer(purgeTimer);
    }
    Future<Void> managersStopped = managers == null ? Future.succeededFuture() : managers.stop();
    if (leadership != null) {
      leadership.stop();
    }
    List<Future<Void>> servers = new ArrayList<>();
    grpcHttpServers.forEach(http -> servers.add(http.close()));
    adminHttpServers.forEach(http -> servers.add(http.close()));
    servers.add(ops == null ? Future.succeededFuture() : ops.close());
    return managersStopped.eventually(() -> Future.join(servers))
        .eventually(() -> Future.join(channels.stream().map(ParticipantChannel::close).toList()))
        .eventually(() -> locks == null ? Future.succeededFuture() : locks.close())
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
    return grpcHttpServers.get(0).actualPort();
  }

  /** The port CoordinatorAdmin is served on: its own ({@code admin.port}) or the gRPC port. */
  public int adminPort() {
    return adminHttpServers.isEmpty() ? grpcPort() : adminHttpServers.get(0).actualPort();
  }

  /**
   * Serves the TransactionCoordinator (and CoordinatorAdmin: on its own port with {@code admin.port} set, so that a
   * NetworkPolicy or firewall can keep operators' calls apart from applications'; otherwise beside it) from every
   * manager's event loop: each loop listens on the same port, and Vert.x hands each new connection to one of them
   * in turn, so that reading and writing the calls is spread over the loops as the managers are. A call then hops
   * to its transaction's manager ({@link TransactionManagers#call}) and its answer back.
   */
  private Future<Void> listenAll(CoordinatorGrpcService coordinator, AdminGrpcService adminService,
      java.util.function.Function<GrpcServer, io.vertx.core.Handler<HttpServerRequest>> handler) {
    Future<Void> listening = Future.succeededFuture();
    int grpcPort = sharedPort(options.grpcPort());
    int adminPort = options.adminPort().isPresent() ? sharedPort(options.adminPort().getAsInt()) : 0;
    for (Context loop : loops) {
      listening = listening.compose(v -> onLoop(loop, () -> {
        GrpcServer grpc = GrpcTransport.grpcServer(vertx, policy);
        grpc.addService(TransactionCoordinatorGrpcService.of(coordinator));
        SessionRoutes.coordinator(coordinator).bindTo(grpc);
        GrpcServer admin = options.adminPort().isPresent() ? GrpcTransport.grpcServer(vertx, policy) : grpc;
        admin.addService(CoordinatorAdminGrpcService.of(adminService));
        Future<Void> adminListening = options.adminPort().isEmpty() ? Future.succeededFuture()
            : listen(adminPort, handler.apply(admin)).map(http -> {
              adminHttpServers.add(http);
              return null;
            });
        return adminListening.compose(x -> listen(grpcPort, handler.apply(grpc))).map(http -> {
              grpcHttpServers.add(http);
              return null;
            });
      }));
    }
    return listening;
  }

  /**
   * The port every loop listens on. Vert.x shares a port among servers of one Vert.x instance that listen on the same
   * host and port, but not port 0 (each would bind a free port of its own); a negative port is Vert.x's "one free
   * port, shared by all who listen with this same negative number", so port 0 becomes a number unique to this
   * coordinator (two coordinators in one JVM must not share a port). One loop: the port as given.
   */
  private int sharedPort(int port) {
    return port != 0 || loops.size() == 1 ? port : -SHARED_PORT_KEYS.incrementAndGet();
  }

  /** Keys of Vert.x's shared free ports ({@link #sharedPort}); only their uniqueness matters. */
  private static final java.util.concurrent.atomic.AtomicInteger SHARED_PORT_KEYS =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * Runs {@code action} on {@code loop} (servers listen on the loop that runs their connections); the result comes
   * back on this verticle's context, where start-up goes on.
   */
  private <T> Future<T> onLoop(Context loop, java.util.function.Supplier<Future<T>> action) {
    Promise<T> done = ((io.vertx.core.internal.ContextInternal) context).promise();
    loop.runOnContext(v -> action.get().onComplete(done));
    return done.future();
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
      return managers != null && managers.isReady();
    }
    TransactionManagers m = leadership.current();
    return m != null && m.isReady();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
