package io.pledge.coordinator.transport;

import io.pledge.api.v1.CoordinatorAdminService;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.ResolveResponse;
import io.pledge.coordinator.protocol.TransactionManagers;
import io.pledge.api.v1.ClusterMember;
import io.pledge.api.v1.ClusterStatusRequest;
import io.pledge.api.v1.ClusterStatusResponse;
import io.pledge.api.v1.TransferLeaderRequest;
import io.pledge.api.v1.TransferLeaderResponse;
import io.pledge.coordinator.cluster.RaftNode;
import io.pledge.coordinator.protocol.CoordinatorException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The {@code pledge.v1.CoordinatorAdmin} service: operators' calls, apart from clients' and participants'. Same
 * validation and status mapping as {@link CoordinatorGrpcService}, on the same context.
 */
public final class AdminGrpcService extends CoordinatorAdminService {

  private final Supplier<TransactionManagers> managers;
  private final Vertx vertx;
  private final RaftNode raft;

  public AdminGrpcService(TransactionManagers managers) {
    this(() -> managers);
  }

  /**
   * @param managers the managers serving now; it throws a {@link io.pledge.coordinator.protocol.CoordinatorException}
   *     when none do (a cluster member that is not the leader)
   */
  public AdminGrpcService(Supplier<TransactionManagers> managers) {
    this(managers, null, null);
  }

  /** A cluster member's: {@code raft} answers ClusterStatus and TransferLeader (blocking work on {@code vertx}'s workers). */
  public AdminGrpcService(Supplier<TransactionManagers> managers, Vertx vertx, RaftNode raft) {
    this.managers = managers;
    this.vertx = vertx;
    this.raft = raft;
  }

  @Override
  public Future<ClusterStatusResponse> clusterStatus(ClusterStatusRequest request) {
    return CoordinatorGrpcService.guarded(() -> {
      requireCluster();
      long epoch = managers.get().epoch();
      RaftNode.Status status = raft.status();
      ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder().setLeaderId(status.leaderId())
          .setTerm(status.term()).setCommitIndex(status.commitIndex()).setAppliedIndex(status.appliedIndex())
          .setEpoch(epoch);
      status.members().forEach(m -> b.addMembers(ClusterMember.newBuilder().setId(m.id())
          .setRaftAddress(m.raftAddress()).setLeader(m.leader()).setMatchIndex(m.matchIndex()).setLag(m.lag())
          .setLastContactMs(m.lastContactMillis())));
      return Future.succeededFuture(b.build());
    });
  }

  @Override
  public Future<TransferLeaderResponse> transferLeader(TransferLeaderRequest request) {
    return CoordinatorGrpcService.guarded(() -> {
      requireCluster();
      managers.get();
      String target = request.getMemberId();
      if (raft.status().members().stream().noneMatch(m -> m.id().equals(target))) {
        throw new CoordinatorException(CoordinatorException.Code.INVALID_ARGUMENT, "'" + target
            + "' is not a member of this cluster (members: " + raft.status().members().stream()
            .map(RaftNode.MemberStatus::id).toList() + ")");
      }
      if (target.equals(raft.nodeId())) {
        return Future.succeededFuture(TransferLeaderResponse.newBuilder().setLeaderId(target).build());
      }
      return vertx.executeBlocking(() -> {
        raft.transferLeadership(target, Duration.ofSeconds(10));
        return TransferLeaderResponse.newBuilder().setLeaderId(target).build();
      }).recover(e -> Future.failedFuture(new CoordinatorException(CoordinatorException.Code.UNAVAILABLE,
          "the leadership did not move to " + target + ": " + e.getMessage())));
    });
  }

  private void requireCluster() {
    if (raft == null) {
      throw new CoordinatorException(CoordinatorException.Code.FAILED_PRECONDITION,
          "this coordinator runs alone (cluster.peers is empty): there is no cluster");
    }
  }

  @Override
  public Future<ResolveResponse> resolve(ResolveRequest request) {
    return CoordinatorGrpcService.guarded(() -> {
      io.pledge.coordinator.state.TxId id = Requests.txId(request.getTxId());
      io.pledge.coordinator.state.Outcome resolution = Protos.resolution(request.getResolution());
      String reason = Requests.reason(request.getReason());
      return managers.get().call(id, m -> m.resolve(id, resolution, reason));
    }).map(resolved -> ResolveResponse.newBuilder().setTransaction(Protos.transaction(resolved.view()))
            .addAllForgotten(resolved.forgotten()).build());
  }
}
