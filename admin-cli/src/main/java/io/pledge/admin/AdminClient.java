package io.pledge.admin;

import io.pledge.api.v1.ClusterStatusRequest;
import io.pledge.api.v1.ClusterStatusResponse;
import io.pledge.api.v1.CoordinatorAdminGrpcClient;
import io.pledge.api.v1.TransferLeaderRequest;
import io.pledge.api.v1.TransferLeaderResponse;
import io.pledge.api.v1.GetTransactionRequest;
import io.pledge.api.v1.InspectLockRequest;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.ListLocksRequest;
import io.pledge.api.v1.ListLocksResponse;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.LockSummary;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.ResolveResponse;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.common.tls.TlsOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The calls pledge-admin makes, blocking the command's own thread (never an event loop) on Vert.x gRPC calls made
 * with {@link Rpc#call}, so that a failure carries the server's status and message ({@link RpcException}).
 */
final class AdminClient implements AutoCloseable {

  private static final int PAGE = 1000;
  static final int MAX_REPLY_BYTES = 4 * 1024 * 1024;

  private final Vertx vertx;
  private final GrpcClient grpc;
  private final Duration timeout;

  AdminClient(Duration timeout) {
    this(timeout, Optional.empty());
  }

  /** {@code tls}: the operator's certificate (mutual TLS) and the CA the servers' certificates are checked against. */
  AdminClient(Duration timeout, Optional<TlsOptions> tls) {
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    // Replies up to 4 MiB: a page is bounded by bytes on the server (192 KiB today), but an older or differently
    // configured server may send more, and the CLI is a trusted reader with a heap of its own.
    this.grpc = GrpcTransport.client(vertx, new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())), true, MAX_REPLY_BYTES, tls);
    this.timeout = timeout;
  }

  TransactionInfo transaction(List<Endpoint> coordinator, String txId) {
    return await(coordinator, onLeader(coordinator, e -> Rpc.call(grpc, e.toSocketAddress(),
        TransactionCoordinatorGrpcClient.GetTransaction, GetTransactionRequest.newBuilder().setTxId(txId).build(),
        timeout))).getTransaction();
  }

  ClusterStatusResponse clusterStatus(List<Endpoint> coordinator) {
    return await(coordinator, onLeader(coordinator, e -> Rpc.call(grpc, e.toSocketAddress(),
        CoordinatorAdminGrpcClient.ClusterStatus, ClusterStatusRequest.getDefaultInstance(), timeout)));
  }

  TransferLeaderResponse transferLeader(List<Endpoint> coordinator, String member) {
    return await(coordinator, onLeader(coordinator, e -> Rpc.call(grpc, e.toSocketAddress(),
        CoordinatorAdminGrpcClient.TransferLeader, TransferLeaderRequest.newBuilder().setMemberId(member).build(),
        timeout)));
  }

  /** A single coordinator is called as is; a cluster's members through {@link LeaderEndpoints}. */
  private <T> Future<T> onLeader(List<Endpoint> members, Function<Endpoint, Future<T>> call) {
    return members.size() == 1 ? call.apply(members.get(0))
        : LeaderEndpoints.of(vertx, members, timeout).call(timeout, call);
  }

  /** Up to {@code limit} transactions the coordinator holds in memory, oldest first, over as many pages as needed. */
  List<TransactionInfo> transactions(List<Endpoint> coordinator, Set<TransactionState> states, int limit) {
    List<TransactionInfo> out = new ArrayList<>();
    String token = "";
    do {
      String pageToken = token;
      ListTransactionsResponse page = await(coordinator, onLeader(coordinator, e -> Rpc.call(grpc,
          e.toSocketAddress(), TransactionCoordinatorGrpcClient.ListTransactions, ListTransactionsRequest.newBuilder()
              .addAllStates(states).setPageSize(Math.min(PAGE, limit - out.size())).setPageToken(pageToken).build(),
          timeout)));
      out.addAll(page.getTransactionsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty() && out.size() < limit);
    return out;
  }

  ResolveResponse resolve(List<Endpoint> coordinator, ResolveRequest request) {
    return await(coordinator, onLeader(coordinator, e -> Rpc.call(grpc, e.toSocketAddress(),
        CoordinatorAdminGrpcClient.Resolve, request, timeout)));
  }

  /** Up to {@code limit} held or awaited locks named with {@code prefix}, in name order. */
  List<LockSummary> locks(Endpoint locks, String prefix, int limit) {
    List<LockSummary> out = new ArrayList<>();
    String token = "";
    do {
      ListLocksResponse page = await(locks, Rpc.call(grpc, locks.toSocketAddress(), LockServiceGrpcClient.List,
          ListLocksRequest.newBuilder().setPrefix(prefix).setPageSize(Math.min(PAGE, limit - out.size()))
              .setPageToken(token).build(), timeout));
      out.addAll(page.getLocksList());
      token = page.getNextPageToken();
    } while (!token.isEmpty() && out.size() < limit);
    return out;
  }

  InspectLockResponse lock(Endpoint locks, String name) {
    return await(locks, Rpc.call(grpc, locks.toSocketAddress(), LockServiceGrpcClient.Inspect,
        InspectLockRequest.newBuilder().setLock(name).build(), timeout));
  }

  /** The call's result; a failure as an {@link RpcException}, naming the endpoint when it was not reached. */
  private <T> T await(List<Endpoint> endpoints, Future<T> call) {
    return await(endpoints.size() == 1 ? endpoints.get(0).toString()
        : endpoints.stream().map(Endpoint::toString).collect(java.util.stream.Collectors.joining(",")), call);
  }

  private <T> T await(Endpoint endpoint, Future<T> call) {
    return await(endpoint.toString(), call);
  }

  private <T> T await(String endpoint, Future<T> call) {
    RpcException failure;
    try {
      // The call has its own deadline; this one only guards against a call that never completes at all.
      return call.await(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | RuntimeException e) {
      failure = Rpc.toRpcException(e);
    }
    if (failure.status() == GrpcStatus.UNAVAILABLE || failure.status() == GrpcStatus.DEADLINE_EXCEEDED) {
      failure = new RpcException(failure.status(), failure.detail() + " (calling " + endpoint + " with a "
          + timeout.toMillis() + " ms deadline)");
    }
    throw failure;
  }

  @Override
  public void close() {
    try {
      vertx.close().await(5, TimeUnit.SECONDS);
    } catch (TimeoutException | RuntimeException e) {
      // Closing is best effort: the process is about to exit.
    }
  }
}
