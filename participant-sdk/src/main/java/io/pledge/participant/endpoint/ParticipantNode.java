package io.pledge.participant.endpoint;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.ParticipantGrpcService;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.grpc.GrpcGuard;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.SessionRoutes;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.tls.TlsReload;
import io.pledge.participant.endpoint.impl.BranchEngine;
import io.pledge.participant.endpoint.impl.ParticipantEndpointService;
import io.pledge.participant.endpoint.impl.StartupRecovery;
import io.pledge.participant.log.BranchLog;
import io.pledge.participant.log.BranchRecord;
import io.pledge.participant.log.DurableBranchLog;
import io.pledge.common.retry.Backoff;
import io.pledge.participant.recovery.CoordinatorOutcomes;
import io.pledge.participant.recovery.InDoubtResolver;
import io.pledge.participant.recovery.OutcomeSource;
import io.pledge.participant.barrier.BranchState;
import io.pledge.participant.spi.LeaseCheck;
import io.pledge.participant.spi.ResourceManager;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a service that owns resources embeds: the Participant gRPC endpoint the coordinator calls, the durable
 * participant log, enlistment, and recovery of in-doubt branches at start.
 *
 * <pre>{@code
 * ParticipantNode.builder(vertx, options)
 *     .resource("accounts-db", xaResourceManager)
 *     .start()
 *     .compose(node -> node.join("accounts-db", txId))   // enlists once, then the service does its work
 * }</pre>
 *
 * <p>Start-up order: every resource's {@code startupCheck()} (a database that cannot prepare stops the start with
 * its own reason), then the log is opened, the endpoint listens, and every branch left PREPARED by an earlier run is
 * handed to the {@link InDoubtResolver}; the endpoint answers the coordinator meanwhile, so a phase-2 retry and
 * recovery may race: both go through the same barrier, whichever is first wins and the other is acknowledged.
 */
public final class ParticipantNode {

  /** Largest request the endpoint accepts: participant calls carry two short ids, so anything bigger is abuse. */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(ParticipantNode.class);

  private final Vertx vertx;
  private final BranchEngine engine;
  private final BranchLog log;
  private final HttpServer server;
  private final CallSessions coordinatorCalls;
  private final InDoubtResolver resolver;
  private final String endpoint;

  private ParticipantNode(Vertx vertx, BranchEngine engine, BranchLog log, HttpServer server,
      CallSessions coordinatorCalls, InDoubtResolver resolver, String endpoint) {
    this.vertx = vertx;
    this.engine = engine;
    this.log = log;
    this.server = server;
    this.coordinatorCalls = coordinatorCalls;
    this.resolver = resolver;
    this.endpoint = endpoint;
  }

  public static Builder builder(Vertx vertx, ParticipantOptions options) {
    return new Builder(vertx, options);
  }

  /** Fluent set-up of a node; {@link #start()} opens the log, listens and starts recovery. */
  public static final class Builder {
    private final Vertx vertx;
    private final ParticipantOptions options;
    private final Map<String, ResourceManager> resources = new LinkedHashMap<>();
    private LeaseCheck leases = LeaseCheck.NONE;
    private MeterRegistry registry = new SimpleMeterRegistry();
    /** Enlist calls made; created with the node (on its context), before the first enlistment. */
    private io.micrometer.core.instrument.Counter enlists;
    private HttpServerOptions serverOptions = new HttpServerOptions();
    private HttpClientOptions coordinatorTransport = new HttpClientOptions();
    private Map<String, String> coordinatorCredentials = Map.of();
    private List<Endpoint> coordinatorCluster = List.of();
    private Optional<TlsOptions> tls = Optional.empty();
    private Optional<Policy> policy = Optional.empty();

    private Builder(Vertx vertx, ParticipantOptions options) {
      this.vertx = Objects.requireNonNull(vertx, "vertx");
      this.options = Objects.requireNonNull(options, "options");
    }

    /** Serves {@code participantId} (stable across restarts: the log and the coordinator know it by this id). */
    public Builder resource(String participantId, ResourceManager resource) {
      if (participantId == null || participantId.isBlank() || participantId.length() > 128) {
        throw new IllegalArgumentException("participant id must be 1..128 characters");
      }
      if (resources.putIfAbsent(participantId, Objects.requireNonNull(resource, "resource")) != null) {
        throw new IllegalArgumentException("participant id " + participantId + " registered twice");
      }
      return this;
    }

    /** The lock hook consulted at prepare (default: no lock service). */
    public Builder leases(LeaseCheck leases) {
      this.leases = Objects.requireNonNull(leases, "leases");
      return this;
    }

    public Builder registry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Options of the endpoint's HTTP/2 server: TLS (and mutual TLS: client authentication) goes here. Host and port
     * still come from {@link ParticipantOptions}.
     */
    public Builder serverOptions(HttpServerOptions options) {
      this.serverOptions = new HttpServerOptions(Objects.requireNonNull(options, "options"));
      return this;
    }

    /**
     * A coordinator cluster's members (replacing {@link ParticipantOptions#coordinators()}): Enlist and GetOutcome
     * go to its leader, found with {@link LeaderEndpoints}.
     */
    public Builder coordinatorCluster(List<Endpoint> members) {
      this.coordinatorCluster = List.copyOf(members);
      return this;
    }

    /** Transport to the coordinator (TLS, client certificate for mutual TLS). */
    public Builder coordinatorTransport(HttpClientOptions options) {
      this.coordinatorTransport = new HttpClientOptions(Objects.requireNonNull(options, "options"));
      return this;
    }

    /**
     * TLS of the endpoint and of the calls to the coordinator, from PEM files reloaded as they change
     * ({@link TlsOptions#from}); empty: plaintext (or what {@link #serverOptions}/{@link #coordinatorTransport} set).
     */
    public Builder tls(Optional<TlsOptions> tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** Who may call the endpoint over TLS ({@link Policy#from}): the Participant service needs role coordinator. */
    public Builder policy(Optional<Policy> policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Metadata for the coordinator: per-call credentials such as a bearer token, sent when a call session opens and
     * with every unary call.
     */
    public Builder coordinatorCredentials(Map<String, String> metadata) {
      this.coordinatorCredentials = Map.copyOf(metadata);
      return this;
    }

    public Future<ParticipantNode> start() {
      if (resources.isEmpty()) {
        return Future.failedFuture(new IllegalStateException("a participant node needs at least one resource"));
      }
      Context context = vertx.getOrCreateContext();
      return Future.<ParticipantNode>future(p -> context.runOnContext(v -> startOnContext(context).onComplete(p)));
    }

    private Future<ParticipantNode> startOnContext(Context context) {
      // Each resource proves first that it can keep a yes vote's promise (XA: prepare a probe branch), so that a
      // database that cannot (prepared transactions disabled) stops the start with its own reason.
      List<Future<Void>> checks = new ArrayList<>();
      resources.forEach((id, rm) -> checks.add(rm.startupCheck()));
      return Future.all(checks)
          .compose(ok -> vertx.executeBlocking(() -> DurableBranchLog.open(vertx,
              options.dataDir().resolve("participant-log"), registry)))
          .compose(log -> {
            CallSessions coordinatorCalls = new CallSessions(vertx, coordinatorTransport, coordinatorCredentials, true,
                tls);
            List<Endpoint> members = coordinatorCluster.isEmpty() ? options.coordinators() : coordinatorCluster;
            LeaderEndpoints cluster = members.size() > 1
                ? LeaderEndpoints.of(vertx, members, options.rpcTimeout()) : null;
            String[] advertised = new String[1];
            OutcomeSource outcomes = cluster == null
                ? new CoordinatorOutcomes(coordinatorCalls, options.coordinator(), options.rpcTimeout())
                : new CoordinatorOutcomes(coordinatorCalls, cluster, options.rpcTimeout());
            InDoubtResolver[] resolver = new InDoubtResolver[1];
            BranchEngine[] engineRef = new BranchEngine[1];
            BranchEngine engine = new BranchEngine(context, resources, log, leases,
                (txId, participantId) -> enlist(coordinatorCalls, cluster, txId, participantId, advertised[0]),
                registry,
                options.activeTimeout(),
                (txId, participantId, state) -> silent(engineRef[0], resolver[0], outcomes, txId, participantId,
                    state),
                options.silenceTimeout());
            engineRef[0] = engine;
            // Every Pledge server's edge (GrpcGuard): the size cap, no compression, malformed messages answered, and
            // with a policy, callers authorized.
            GrpcServer grpc = GrpcGuard.server(GrpcServer.server(vertx,
                new GrpcServerOptions().setMaxMessageSize(MAX_MESSAGE_BYTES)), MAX_MESSAGE_BYTES, policy);
            ParticipantEndpointService service = new ParticipantEndpointService(engine, registry);
            grpc.addService(ParticipantGrpcService.of(service));
            SessionRoutes.participant(service).bindTo(grpc);
            TlsReload.warnIfPlaintext("participant endpoint", options.host(),
                tls.isPresent() || serverOptions.isSsl());
            HttpServer http = GrpcTransport.server(vertx, serverOptions, tls).requestHandler(grpc);
            return http.listen(options.port(), options.host()).compose(s -> {
              advertised[0] = options.advertisedEndpoint()
                  .map(Endpoint::toString)
                  .orElse(new Endpoint(options.host(), s.actualPort()).toString());
              resolver[0] = new InDoubtResolver(vertx, outcomes,
                  new InDoubtResolver.Apply() {
                    @Override
                    public Future<Void> commit(String txId, String participantId) {
                      return engine.commit(txId, participantId, false).mapEmpty();
                    }

                    @Override
                    public Future<Void> rollback(String txId, String participantId) {
                      return engine.rollback(txId, participantId);
                    }

                    @Override
                    public Future<Boolean> open(String txId, String participantId) {
                      return engine.isOpen(txId, participantId);
                    }
                  },
                  new Backoff(options.recoveryInitialBackoff(), options.recoveryMaxBackoff()), registry);
              ParticipantNode node = new ParticipantNode(vertx, engine, log, s, coordinatorCalls, resolver[0],
                  advertised[0]);
              return new StartupRecovery(engine, log, resolver[0]).run().map(node);
            });
          });
    }

    /**
     * A branch heard nothing for the silence timeout. Prepared: the in-doubt resolver asks the coordinator until
     * the outcome is known and applied. Active: one question; ABORTED (for instance presumed after a coordinator
     * restart) rolls it back now instead of at the deadline; PENDING leaves it to its deadline.
     */
    private static void silent(BranchEngine engine, InDoubtResolver resolver, OutcomeSource outcomes, String txId,
        String participantId, BranchState state) {
      if (resolver == null) {
        return; // still starting: start-up recovery covers the branches that exist now
      }
      if (state == BranchState.PREPARED) {
        resolver.resolve(txId, participantId);
        return;
      }
      outcomes.outcome(txId, participantId).onSuccess(answer -> {
        if (answer == OutcomeSource.Answer.ABORTED) {
          LOG.atInfo().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
              .log("the coordinator says this open branch's transaction aborted: rolling it back");
          engine.rollback(txId, participantId);
        }
      });
    }

    private Future<Long> enlist(CallSessions calls, LeaderEndpoints cluster, String txId, String participantId,
        String endpoint) {
      if (enlists == null) {
        enlists = ParticipantEndpointService.calls(registry, "Enlist");
      }
      enlists.increment();
      EnlistRequest request =
          EnlistRequest.newBuilder().setTxId(txId).setParticipantId(participantId).setEndpoint(endpoint).build();
      if (cluster != null) {
        return cluster.call(options.rpcTimeout(), leader -> calls.call(leader.toSocketAddress(),
            TransactionCoordinatorGrpcClient.Enlist, request, options.rpcTimeout()))
            .map(response -> response.getDeadlineEpochMs());
      }
      return calls.call(options.coordinator().toSocketAddress(), TransactionCoordinatorGrpcClient.Enlist, request,
          options.rpcTimeout()).map(response -> response.getDeadlineEpochMs());
    }
  }

  /**
   * Declares that the service is about to work for {@code txId} with resource {@code participantId}. The first call
   * for a transaction enlists the participant with the coordinator; later calls complete at once. Fails once the
   * branch is prepared or finished (the coordinator moved on: the work would not be part of the transaction).
   */
  public Future<Void> join(String participantId, String txId) {
    IllegalArgumentException bad = invalidTxId(txId);
    return bad != null ? Future.failedFuture(bad) : engine.join(txId, participantId);
  }

  /**
   * Like {@link #join}, on the short path: the client collects this participant's enlistment from the answer (the
   * {@code pledge-enlisted} header, see {@link io.pledge.participant.propagation.TxPropagation#ENLISTED}) and
   * sends it with its Commit, so nothing is asked of the coordinator here. {@code deadlineMillis} (epoch
   * milliseconds, 0 when unknown) is the transaction's deadline, after which an unprepared branch is rolled back.
   * Only for a caller that does collect it: a participant whose answer is lost is left out of the commit, and its
   * work is rolled back at the deadline while the others' may commit.
   */
  public Future<Void> joinReported(String participantId, String txId, long deadlineMillis) {
    IllegalArgumentException bad = invalidTxId(txId);
    return bad != null ? Future.failedFuture(bad)
        : engine.join(txId, participantId, () -> Future.succeededFuture(deadlineMillis));
  }

  private static IllegalArgumentException invalidTxId(String txId) {
    if (txId == null || txId.isBlank() || txId.length() > BranchRecord.MAX_TX_ID) {
      return new IllegalArgumentException("transaction id must be 1.." + BranchRecord.MAX_TX_ID
          + " characters, got " + (txId == null ? "null" : txId.length() + " characters"));
    }
    return null;
  }

  /** Where the coordinator reaches this endpoint (host:port). */
  public String endpoint() {
    return endpoint;
  }

  public int port() {
    return server.actualPort();
  }

  /** Branches this node holds in memory: active, prepared, or with calls in flight. */
  public Future<Integer> liveBranches() {
    return engine.liveCount();
  }

  /** Prepared branches waiting for the coordinator's outcome (after a restart, or after hearing nothing). */
  public int inDoubt() {
    return resolver.inDoubt();
  }

  /** Stops serving; prepared branches stay in the log (and in their resources) for the next start. */
  public Future<Void> close() {
    resolver.close();
    engine.close();
    return server.close()
        .eventually(() -> coordinatorCalls.close())
        .eventually(() -> vertx.executeBlocking(() -> {
          log.close();
          return null;
        }))
        .mapEmpty();
  }
}
