package io.pledge.testkit;

import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.EnlistResponse;
import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.GetTransactionRequest;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.RollbackRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.Map;

/**
 * A raw client of the coordinator's gRPC contract for tests: each call returns a Vert.x future (async) and has a
 * blocking twin. Failures are {@link io.pledge.common.grpc.RpcException}s carrying the status and message.
 */
public final class CoordinatorTestClient implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final GrpcClient client;
  private volatile SocketAddress address;

  public CoordinatorTestClient(Vertx vertx, int port) {
    this.client = GrpcTransport.client(vertx, new HttpClientOptions());
    this.address = SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  /** Points the client at a restarted coordinator. */
  public void port(int port) {
    address = SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  public Future<String> beginAsync(long timeoutMs, Map<String, String> labels) {
    return Rpc.call(client, address, TransactionCoordinatorGrpcClient.Begin,
        BeginRequest.newBuilder().setTimeoutMs(timeoutMs).putAllLabels(labels).build(), TIMEOUT)
        .map(r -> r.getTxId());
  }

  public String begin() {
    return Await.result(beginAsync(0, Map.of()));
  }

  public Future<EnlistResponse> enlistResponseAsync(String txId, String participantId, String endpoint) {
    return Rpc.call(client, address, TransactionCoordinatorGrpcClient.Enlist, EnlistRequest.newBuilder()
        .setTxId(txId).setParticipantId(participantId).setEndpoint(endpoint).build(), TIMEOUT);
  }

  public Future<Boolean> enlistAsync(String txId, String participantId, String endpoint) {
    return enlistResponseAsync(txId, participantId, endpoint).map(r -> r.getAlreadyEnlisted());
  }

  public boolean enlist(String txId, TestParticipant participant) {
    return Await.result(enlistAsync(txId, participant.id(), participant.endpoint()));
  }

  public Future<CommitResponse> commitAsync(String txId) {
    return Rpc.call(client, address, TransactionCoordinatorGrpcClient.Commit,
        CommitRequest.newBuilder().setTxId(txId).build(), TIMEOUT);
  }

  public CommitResponse commit(String txId) {
    return Await.result(commitAsync(txId));
  }

  /** Any call of the contract, as it is (for requests the helpers here do not build). */
  public <Req, Resp> Future<Resp> callAsync(io.vertx.grpc.common.ServiceMethod<Resp, Req> method, Req request) {
    return Rpc.call(client, address, method, request, TIMEOUT);
  }

  public io.pledge.api.v1.ReserveTransactionIdsResponse reserve(int count) {
    return Await.result(callAsync(TransactionCoordinatorGrpcClient.ReserveTransactionIds,
        io.pledge.api.v1.ReserveTransactionIdsRequest.newBuilder().setCount(count).build()));
  }

  /** The i-th id (from 0) of a reserved block. */
  public static String id(io.pledge.api.v1.ReserveTransactionIdsResponse block, int i) {
    return block.getTxIdPrefix() + (block.getFirstSequence() + i);
  }

  /** Commit on the short path: {@code reported} are the participants that answered with their enlistment. */
  public Future<CommitResponse> commitAsync(String txId, java.util.List<TestParticipant> reported) {
    CommitRequest.Builder b = CommitRequest.newBuilder().setTxId(txId);
    reported.forEach(p -> b.addParticipants(io.pledge.api.v1.EnlistedParticipant.newBuilder()
        .setParticipantId(p.id()).setEndpoint(p.endpoint())));
    return callAsync(TransactionCoordinatorGrpcClient.Commit, b.build());
  }

  public CommitResponse commit(String txId, java.util.List<TestParticipant> reported) {
    return Await.result(commitAsync(txId, reported));
  }

  public Outcome rollback(String txId, java.util.List<TestParticipant> reported) {
    RollbackRequest.Builder b = RollbackRequest.newBuilder().setTxId(txId);
    reported.forEach(p -> b.addParticipants(io.pledge.api.v1.EnlistedParticipant.newBuilder()
        .setParticipantId(p.id()).setEndpoint(p.endpoint())));
    return Await.result(callAsync(TransactionCoordinatorGrpcClient.Rollback, b.build())).getOutcome();
  }

  public Future<Outcome> rollbackAsync(String txId) {
    return Rpc.call(client, address, TransactionCoordinatorGrpcClient.Rollback,
        RollbackRequest.newBuilder().setTxId(txId).build(), TIMEOUT).map(r -> r.getOutcome());
  }

  public Outcome rollback(String txId) {
    return Await.result(rollbackAsync(txId));
  }

  public Future<Outcome> outcomeAsync(String txId) {
    return Rpc.call(client, address, TransactionCoordinatorGrpcClient.GetOutcome,
        GetOutcomeRequest.newBuilder().setTxId(txId).build(), TIMEOUT).map(r -> r.getOutcome());
  }

  public Outcome outcome(String txId) {
    return Await.result(outcomeAsync(txId));
  }

  public Future<TransactionInfo> getAsync(String txId) {
    return Rpc.call(client, address, TransactionCoordinatorGrpcClient.GetTransaction,
        GetTransactionRequest.newBuilder().setTxId(txId).build(), TIMEOUT).map(r -> r.getTransaction());
  }

  public TransactionInfo get(String txId) {
    return Await.result(getAsync(txId));
  }

  public ListTransactionsResponse list(ListTransactionsRequest request) {
    return Await.result(Rpc.call(client, address, TransactionCoordinatorGrpcClient.ListTransactions, request,
        TIMEOUT));
  }

  @Override
  public void close() {
    Await.result(client.close());
  }
}
