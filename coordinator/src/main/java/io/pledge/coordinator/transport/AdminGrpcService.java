package io.pledge.coordinator.transport;

import io.pledge.api.v1.CoordinatorAdminService;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.ResolveResponse;
import io.pledge.coordinator.protocol.TransactionManager;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * The {@code pledge.v1.CoordinatorAdmin} service: operators' calls, apart from clients' and participants'. Same
 * validation and status mapping as {@link CoordinatorGrpcService}, on the same context.
 */
public final class AdminGrpcService extends CoordinatorAdminService {

  private final Supplier<TransactionManager> managers;

  public AdminGrpcService(TransactionManager manager) {
    this(() -> manager);
  }

  /**
   * @param managers the manager serving now; it throws a {@link io.pledge.coordinator.protocol.CoordinatorException}
   *     when none does (a cluster member that is not the leader)
   */
  public AdminGrpcService(Supplier<TransactionManager> managers) {
    this.managers = managers;
  }

  @Override
  public Future<ResolveResponse> resolve(ResolveRequest request) {
    return CoordinatorGrpcService.guarded(() -> managers.get().resolve(Requests.txId(request.getTxId()),
        Protos.resolution(request.getResolution()), Requests.reason(request.getReason()))
        .map(resolved -> ResolveResponse.newBuilder().setTransaction(Protos.transaction(resolved.view()))
            .addAllForgotten(resolved.forgotten()).build()));
  }
}
