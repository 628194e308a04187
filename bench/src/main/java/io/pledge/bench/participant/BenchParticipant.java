package io.pledge.bench.participant;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pledge.bench.v1.BenchWorkGrpcService;
import io.pledge.bench.v1.InfoReply;
import io.pledge.bench.v1.WorkReply;
import io.pledge.bench.v1.WorkRequest;
import io.pledge.common.config.Config;
import io.pledge.common.durable.Durability;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.ops.OpsServer;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockException;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.locks.TransactionLocks;
import io.pledge.participant.propagation.TxPropagation;
import io.pledge.participant.spi.LeaseCheck;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A participant as a real service would embed one: a {@link ParticipantNode} (participant SDK) with a
 * {@link KvResource}, its own gRPC work endpoint ({@code pledge.bench.v1.BenchWork}) that joins the transaction
 * named by the {@code pledge-tx-id} header ({@link TxPropagation#joining}), and an ops server with {@code /metrics}
 * (the SDK serves none), from which the harness reads {@code pledge_log_syncs_total}.
 */
public final class BenchParticipant {

  private static final Logger LOG = LoggerFactory.getLogger(BenchParticipant.class);

  /** Lease of a work lock: long enough never to need a renewal inside one benchmark transaction. */
  private static final Duration LOCK_LEASE = Duration.ofSeconds(30);
  private static final Duration LOCK_WAIT = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final BenchParticipantSettings settings;
  /** The H2 counter store; null on PostgreSQL. */
  private final KvStore store;
  /** The resource of the H2 store; null on PostgreSQL. */
  private final KvResource resource;
  /** The counters on PostgreSQL; null on H2. */
  private final PostgresCounters postgres;
  private final LockClient lockClient;
  private final TransactionLocks locks;
  private final Optional<TlsOptions> tls;
  private final Optional<Policy> policy;
  private ParticipantNode node;
  private HttpServer work;
  private OpsServer ops;

  private BenchParticipant(Vertx vertx, BenchParticipantSettings settings, KvStore store, PostgresCounters postgres,
      LockClient lockClient, Optional<TlsOptions> tls, Optional<Policy> policy) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.resource = store == null ? null : new KvResource(vertx, store, settings.voteNo());
    this.postgres = postgres;
    this.tls = tls;
    this.policy = policy;
    this.lockClient = lockClient;
    this.locks = lockClient == null ? null : new TransactionLocks(lockClient, LOCK_LEASE);
  }

  /** Opens the store and the participant log, then listens on free loopback ports. */
  public static Future<BenchParticipant> start(Vertx vertx, BenchParticipantSettings settings) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Optional<TlsOptions> tls;
    Optional<Policy> policy;
    try {
      Config tlsConfig = Config.of(TlsOptions.KEYS, settings.tls());
      tls = TlsOptions.from(tlsConfig);
      policy = Policy.from(tlsConfig);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> settings.postgres().isPresent() ? null
        : KvStore.open(settings.dataDir(), "counters", registry)).compose(store -> {
          Future<PostgresCounters> postgres = settings.postgres().isEmpty() ? Future.succeededFuture()
              : vertx.executeBlocking(() -> PostgresCounters.open(vertx, settings.postgres().get(), settings.name(),
                  registry));
          return postgres.compose(pg -> {
            LockClient lockClient = settings.locks().map(l -> tls.isPresent() ? LockClient.create(vertx, l, tls)
                : LockClient.create(vertx, l)).orElse(null);
            BenchParticipant p = new BenchParticipant(vertx, settings, store, pg, lockClient, tls, policy);
            return p.listen(registry).map(p);
          });
        });
  }

  private Future<Void> listen(PrometheusMeterRegistry registry) {
    ParticipantOptions options = ParticipantOptions.defaults(settings.coordinator(), settings.dataDir());
    LeaseCheck leases = locks == null ? LeaseCheck.NONE : locks;
    ParticipantNode.Builder builder = ParticipantNode.builder(vertx, options)
        .resource(settings.name(), postgres != null ? postgres.resource() : resource).leases(leases)
        .registry(registry).tls(tls).policy(policy);
    if (!settings.coordinatorCluster().isEmpty()) {
      builder.coordinatorCluster(settings.coordinatorCluster());
    }
    return builder.start()
        .compose(started -> {
          node = started;
          GrpcServer grpc = GrpcServer.server(vertx);
          grpc.callHandler(BenchWorkGrpcService.Work, TxPropagation.joining(node, settings.name(), this::work));
          grpc.callHandler(BenchWorkGrpcService.Info, request -> request.handler(msg -> request.response().end(
              InfoReply.newBuilder().setName(settings.name()).setPid(ProcessHandle.current().pid())
                  .setOpsPort(ops.port()).build())));
          // The work endpoint is the bench service's own: over TLS when the scenario is, with no role policy.
          return GrpcTransport.server(vertx, new HttpServerOptions(), tls).requestHandler(grpc)
              .listen(0, "127.0.0.1");
        })
        .compose(server -> {
          work = server;
          return OpsServer.start(vertx, "127.0.0.1", 0, "bench-participant", registry, () -> true);
        })
        .onSuccess(o -> ops = o)
        .mapEmpty();
  }

  private void work(GrpcServerRequest<WorkRequest, WorkReply> request) {
    request.handler(msg -> {
      if (msg.getKey().isEmpty() || msg.getKey().length() > 64) {
        request.response().status(GrpcStatus.INVALID_ARGUMENT).statusMessage("key must be 1..64 characters").end();
        return;
      }
      Optional<String> txId = TxPropagation.txId(request);
      Future<Long> done = txId.isPresent() ? inTransaction(txId.get(), msg) : direct(msg);
      done.onSuccess(value -> request.response().end(WorkReply.newBuilder().setValue(value).build()))
          .onFailure(e -> {
            GrpcStatus status = e instanceof LockException ? GrpcStatus.ABORTED : GrpcStatus.FAILED_PRECONDITION;
            LOG.atDebug().addKeyValue("txId", txId.orElse("")).log("work refused: {}", e.getMessage());
            request.response().status(status).statusMessage(String.valueOf(e.getMessage())).end();
          });
    });
  }

  /** The transaction is joined already (the handler is wrapped by {@link TxPropagation#joining}). */
  private Future<Long> inTransaction(String txId, WorkRequest msg) {
    Future<?> locked = locks == null ? Future.succeededFuture()
        : locks.exclusive(txId, settings.name() + "/" + msg.getKey(), LOCK_WAIT);
    Context context = vertx.getOrCreateContext();
    if (postgres != null) {
      return locked.compose(handle -> settings.readOnly() ? postgres.read(txId, msg.getKey())
          : postgres.add(txId, msg.getKey(), msg.getDelta()));
    }
    return locked.compose(handle -> {
      if (settings.readOnly()) {
        return Future.fromCompletionStage(store.read(msg.getKey()), context);
      }
      resource.stage(txId, msg.getKey(), msg.getDelta());
      return Future.succeededFuture(0L);
    });
  }

  /** No coordinator: the update commits here at once with one forced write. */
  private Future<Long> direct(WorkRequest msg) {
    if (postgres != null) {
      return Future.failedFuture("a PostgreSQL bench participant works inside transactions only");
    }
    Context context = vertx.getOrCreateContext();
    if (settings.readOnly()) {
      return Future.fromCompletionStage(store.read(msg.getKey()), context);
    }
    return Future.fromCompletionStage(store.add(msg.getKey(), msg.getDelta(), Durability.FORCED), context)
        .map(0L);
  }

  public String name() {
    return settings.name();
  }

  public int workPort() {
    return work.actualPort();
  }

  public int opsPort() {
    return ops.port();
  }

  public Future<Void> close() {
    Future<Void> servers = Future.join(work == null ? Future.succeededFuture() : work.close(),
        ops == null ? Future.succeededFuture() : ops.close()).mapEmpty();
    return servers.eventually(() -> node == null ? Future.succeededFuture() : node.close())
        .eventually(() -> vertx.executeBlocking(() -> {
          if (lockClient != null) {
            lockClient.close();
          }
          if (postgres != null) {
            postgres.close();
          }
          if (store != null) {
            store.close();
          }
          return null;
        }));
  }
}
