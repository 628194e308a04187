package io.pledge.common.grpc;

import io.pledge.api.v1.LockServiceGrpcService;
import io.pledge.api.v1.LockServiceService;
import io.pledge.api.v1.ParticipantGrpcService;
import io.pledge.api.v1.ParticipantService;
import io.pledge.api.v1.TransactionCoordinatorGrpcService;
import io.pledge.api.v1.TransactionCoordinatorService;

/**
 * What each of Pledge's services serves over call sessions (session.proto), besides binding it unary: every
 * unary method a client calls per transaction or per lock. Streams and listings stay unary. One place, so that a
 * server and its tests offer the same.
 */
public final class SessionRoutes {

  private SessionRoutes() {}

  public static CallSessionService coordinator(TransactionCoordinatorService service) {
    return new CallSessionService()
        .serve(TransactionCoordinatorGrpcService.Begin, service::begin)
        .serve(TransactionCoordinatorGrpcService.Enlist, service::enlist)
        .serve(TransactionCoordinatorGrpcService.Commit, service::commit)
        .serve(TransactionCoordinatorGrpcService.Rollback, service::rollback)
        .serve(TransactionCoordinatorGrpcService.GetOutcome, service::getOutcome)
        .serve(TransactionCoordinatorGrpcService.GetTransaction, service::getTransaction);
  }

  public static CallSessionService participant(ParticipantService service) {
    return new CallSessionService()
        .serve(ParticipantGrpcService.Prepare, service::prepare)
        .serve(ParticipantGrpcService.Commit, service::commit)
        .serve(ParticipantGrpcService.Rollback, service::rollback)
        .serve(ParticipantGrpcService.Complete, service::complete)
        .serve(ParticipantGrpcService.PrepareBranches, service::prepareBranches);
  }

  public static CallSessionService lockService(LockServiceService service) {
    return new CallSessionService()
        .serve(LockServiceGrpcService.Acquire, service::acquire)
        .serve(LockServiceGrpcService.TryAcquire, service::tryAcquire)
        .serve(LockServiceGrpcService.Renew, service::renew)
        .serve(LockServiceGrpcService.Release, service::release)
        .serve(LockServiceGrpcService.ReleaseAll, service::releaseAll)
        .serve(LockServiceGrpcService.Inspect, service::inspect);
  }
}
