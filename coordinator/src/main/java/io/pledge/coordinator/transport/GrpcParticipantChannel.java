package io.pledge.coordinator.transport;

import io.pledge.api.v1.BranchCommitRequest;
import io.pledge.api.v1.BranchRollbackRequest;
import io.pledge.api.v1.ParticipantGrpcClient;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.pledge.coordinator.protocol.ParticipantChannel;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;

/**
 * {@link ParticipantChannel} over gRPC: one Vert.x gRPC client whose HTTP/2 connections are pooled per endpoint.
 */
public final class GrpcParticipantChannel implements ParticipantChannel {

  private final GrpcClient client;

  public GrpcParticipantChannel(Vertx vertx) {
    this.client = GrpcClient.client(vertx, GrpcTransport.of(new HttpClientOptions().setConnectTimeout(2000)));
  }

  @Override
  public Future<VoteReply> prepare(TxId tx, Participant participant, Duration timeout) {
    PrepareRequest request = PrepareRequest.newBuilder().setTxId(tx.toString()).setParticipantId(participant.id())
        .build();
    return Rpc.call(client, address(participant), ParticipantGrpcClient.Prepare, request, timeout)
        .map(r -> new VoteReply(Protos.vote(r.getVote()), r.getReason()));
  }

  @Override
  public Future<CommitReply> commit(TxId tx, Participant participant, boolean onePhase, Duration timeout) {
    BranchCommitRequest request = BranchCommitRequest.newBuilder().setTxId(tx.toString())
        .setParticipantId(participant.id()).setOnePhase(onePhase).build();
    return Rpc.call(client, address(participant), ParticipantGrpcClient.Commit, request, timeout).compose(r ->
        switch (r.getOutcome()) {
          case OUTCOME_COMMITTED -> Future.succeededFuture(new CommitReply(Outcome.COMMITTED, r.getReason()));
          case OUTCOME_ABORTED -> onePhase ? Future.succeededFuture(new CommitReply(Outcome.ABORTED, r.getReason()))
              : Future.failedFuture(new IllegalStateException("participant " + participant.id()
                  + " answered a phase-2 commit with ABORTED: " + r.getReason()));
          default -> Future.failedFuture(new IllegalStateException("participant " + participant.id()
              + " answered commit with no outcome"));
        });
  }

  @Override
  public Future<Void> rollback(TxId tx, Participant participant, Duration timeout) {
    BranchRollbackRequest request = BranchRollbackRequest.newBuilder().setTxId(tx.toString())
        .setParticipantId(participant.id()).build();
    return Rpc.call(client, address(participant), ParticipantGrpcClient.Rollback, request, timeout).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  private static io.vertx.core.net.SocketAddress address(Participant participant) {
    return Endpoint.parse(participant.endpoint()).toSocketAddress();
  }
}
