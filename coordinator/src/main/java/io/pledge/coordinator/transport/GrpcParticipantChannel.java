package io.pledge.coordinator.transport;

import io.pledge.api.v1.BranchCommitRequest;
import io.pledge.api.v1.BranchCompletion;
import io.pledge.api.v1.BranchRollbackRequest;
import io.pledge.api.v1.ParticipantGrpcClient;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.protocol.ParticipantChannel;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link ParticipantChannel} over gRPC: one connection per participant endpoint, each call a frame on its call
 * session ({@link CallSessions}). Prepares are batched per endpoint and per turn of the coordinator's event loop
 * ({@link PrepareBatcher}: a lone one still goes out in its own turn, so a waiting client gains, never loses), and
 * so are phase-2 commits and rollbacks ({@link PhaseTwoBatcher}); a one-phase commit is a single call.
 */
public final class GrpcParticipantChannel implements ParticipantChannel {

  private static final int MAX_CACHED_ADDRESSES = 10_000;

  private final CallSessions calls;
  private final PrepareBatcher prepares;
  private final PhaseTwoBatcher phaseTwo;
  /** Parsed endpoints: a transaction's participants are called several times each. */
  private final Map<String, SocketAddress> addresses = new ConcurrentHashMap<>();

  /** {@code context}: the coordinator's, on which the prepare and phase-2 queues live. */
  public GrpcParticipantChannel(Vertx vertx, Context context) {
    this(vertx, context, Optional.empty());
  }

  /** {@code tls}: the coordinator's own, its certificate its identity to participants (mutual TLS). */
  public GrpcParticipantChannel(Vertx vertx, Context context, Optional<TlsOptions> tls) {
    this.calls = new CallSessions(vertx, new HttpClientOptions().setConnectTimeout(2000), Map.of(), true, tls);
    this.prepares = new PrepareBatcher(context,
        (endpoint, request, timeout) -> calls.call(address(endpoint), ParticipantGrpcClient.PrepareBranches, request,
            timeout),
        (endpoint, request, timeout) -> calls.call(address(endpoint), ParticipantGrpcClient.Prepare, request,
            timeout));
    this.phaseTwo = new PhaseTwoBatcher(context,
        (endpoint, request, timeout) -> calls.call(address(endpoint), ParticipantGrpcClient.Complete, request,
            timeout),
        this::single);
  }

  @Override
  public Future<VoteReply> prepare(TxId tx, Participant participant, Duration timeout) {
    return prepares.prepare(participant.endpoint(), tx.toString(), participant.id(), timeout)
        .map(r -> new VoteReply(Protos.vote(r.getVote()), r.getReason()));
  }

  @Override
  public Future<CommitReply> commit(TxId tx, Participant participant, boolean onePhase, Duration timeout) {
    if (!onePhase) {
      return phaseTwo.complete(participant.endpoint(), tx.toString(), participant.id(), true, timeout)
          .map(v -> new CommitReply(Outcome.COMMITTED, ""));
    }
    // One-phase: the participant decides, so ABORTED is an answer here (phase 2 goes through the batcher).
    BranchCommitRequest request = BranchCommitRequest.newBuilder().setTxId(tx.toString())
        .setParticipantId(participant.id()).setOnePhase(true).build();
    return calls.call(address(participant), ParticipantGrpcClient.Commit, request, timeout).compose(r ->
        switch (r.getOutcome()) {
          case OUTCOME_COMMITTED -> Future.succeededFuture(new CommitReply(Outcome.COMMITTED, r.getReason()));
          case OUTCOME_ABORTED -> Future.succeededFuture(new CommitReply(Outcome.ABORTED, r.getReason()));
          default -> Future.failedFuture(new IllegalStateException("participant " + participant.id()
              + " answered commit with no outcome"));
        });
  }

  @Override
  public Future<Void> rollback(TxId tx, Participant participant, Duration timeout) {
    return phaseTwo.complete(participant.endpoint(), tx.toString(), participant.id(), false, timeout);
  }

  /** One branch's phase 2 as its own call: for a participant that does not serve Complete. */
  private Future<Void> single(String endpoint, BranchCompletion branch, Duration timeout) {
    SocketAddress address = address(endpoint);
    if (branch.getOutcome() == io.pledge.api.v1.Outcome.OUTCOME_COMMITTED) {
      BranchCommitRequest request = BranchCommitRequest.newBuilder().setTxId(branch.getTxId())
          .setParticipantId(branch.getParticipantId()).build();
      return calls.call(address, ParticipantGrpcClient.Commit, request, timeout).mapEmpty();
    }
    BranchRollbackRequest request = BranchRollbackRequest.newBuilder().setTxId(branch.getTxId())
        .setParticipantId(branch.getParticipantId()).build();
    return calls.call(address, ParticipantGrpcClient.Rollback, request, timeout).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return calls.close();
  }

  private SocketAddress address(Participant participant) {
    return address(participant.endpoint());
  }

  private SocketAddress address(String endpoint) {
    if (addresses.size() > MAX_CACHED_ADDRESSES) {
      addresses.clear(); // a guard, not a policy: real deployments have a handful of participant endpoints
    }
    return addresses.computeIfAbsent(endpoint, e -> Endpoint.parse(e).toSocketAddress());
  }
}
