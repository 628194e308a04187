package io.pledge.participant.support;

import io.pledge.api.v1.BranchCommitRequest;
import io.pledge.api.v1.BranchCommitResponse;
import io.pledge.api.v1.BranchRollbackRequest;
import io.pledge.api.v1.CompleteBranchesRequest;
import io.pledge.api.v1.CompleteBranchesResponse;
import io.pledge.api.v1.ParticipantGrpcClient;
import io.pledge.api.v1.PrepareBranchesRequest;
import io.pledge.api.v1.PrepareBranchesResponse;
import io.pledge.api.v1.PrepareRequest;
import io.pledge.api.v1.PrepareResponse;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Plays the coordinator's side of the Participant contract over real gRPC. */
public final class ParticipantCalls implements AutoCloseable {

  private final GrpcClient client;
  private final SocketAddress address;

  public ParticipantCalls(Vertx vertx, int port) {
    this(vertx, port, new io.vertx.core.http.HttpClientOptions());
  }

  public ParticipantCalls(Vertx vertx, int port, io.vertx.core.http.HttpClientOptions transport) {
    this.client = GrpcClient.client(vertx, io.pledge.common.grpc.GrpcTransport.of(transport));
    this.address = SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  public Future<PrepareResponse> prepareAsync(String txId, String participantId) {
    return Rpc.call(client, address, ParticipantGrpcClient.Prepare,
        PrepareRequest.newBuilder().setTxId(txId).setParticipantId(participantId).build(), Duration.ofSeconds(10));
  }

  public PrepareResponse prepare(String txId, String participantId) throws Exception {
    return prepareAsync(txId, participantId).await(20, TimeUnit.SECONDS);
  }

  public Future<BranchCommitResponse> commitAsync(String txId, String participantId, boolean onePhase) {
    return Rpc.call(client, address, ParticipantGrpcClient.Commit, BranchCommitRequest.newBuilder().setTxId(txId)
        .setParticipantId(participantId).setOnePhase(onePhase).build(), Duration.ofSeconds(10));
  }

  public BranchCommitResponse commit(String txId, String participantId, boolean onePhase) throws Exception {
    return commitAsync(txId, participantId, onePhase).await(20, TimeUnit.SECONDS);
  }

  public Future<Void> rollbackAsync(String txId, String participantId) {
    return Rpc.call(client, address, ParticipantGrpcClient.Rollback,
        BranchRollbackRequest.newBuilder().setTxId(txId).setParticipantId(participantId).build(),
        Duration.ofSeconds(10)).mapEmpty();
  }

  public void rollback(String txId, String participantId) throws Exception {
    rollbackAsync(txId, participantId).await(20, TimeUnit.SECONDS);
  }

  public CompleteBranchesResponse complete(CompleteBranchesRequest request) throws Exception {
    return Rpc.call(client, address, ParticipantGrpcClient.Complete, request, Duration.ofSeconds(10))
        .await(20, TimeUnit.SECONDS);
  }

  public PrepareBranchesResponse prepareBranches(PrepareBranchesRequest request) throws Exception {
    return Rpc.call(client, address, ParticipantGrpcClient.PrepareBranches, request, Duration.ofSeconds(10))
        .await(20, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    client.close();
  }
}
