package io.pledge.coordinator.transport;

import io.pledge.api.v1.CoordinatorAdminService;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.ResolveResponse;
import io.pledge.coordinator.protocol.TransactionManager;
import io.vertx.core.Future;

/**
 * The {@code pledge.v1.CoordinatorAdmin} service: operators' calls, apart from clients' and participants'. Same
 * validation and status mapping as {@link CoordinatorGrpcService}, on the same context.
 */
public final class AdminGrpcService extends CoordinatorAdminService {

  private final TransactionManager manager;

  public AdminGrpcService(TransactionManager manager) {
    this.manager = manager;
  }

  @Override
  public Future<ResolveResponse> resolve(ResolveRequest request) {
    return CoordinatorGrpcService.guarded(() -> manager.resolve(Requests.txId(request.getTxId()),
        Protos.resolution(request.getResolution()), Requests.reason(request.getReason()))
        .map(resolved -> ResolveResponse.newBuilder().setTransaction(Protos.transaction(resolved.view()))
            .addAllForgotten(resolved.forgotten()).build()));
  }
}
