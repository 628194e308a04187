package io.pledge.coordinator.transport;

import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.BeginResponse;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.CommitResponse;
import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.EnlistResponse;
import io.pledge.api.v1.ReserveTransactionIdsRequest;
import io.pledge.api.v1.ReserveTransactionIdsResponse;
import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.GetOutcomeResponse;
import io.pledge.api.v1.GetTransactionRequest;
import io.pledge.api.v1.GetTransactionResponse;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.api.v1.RollbackRequest;
import io.pledge.api.v1.RollbackResponse;
import io.pledge.api.v1.TransactionCoordinatorService;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcGuard;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.tls.Ownership;
import io.pledge.common.tls.Principal;
import io.pledge.coordinator.protocol.CoordinatorException;
import io.pledge.coordinator.protocol.TransactionManagers;
import io.pledge.coordinator.protocol.TxView;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.TxState;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pledge.v1.TransactionCoordinator} service: validates requests, converts them, and maps failures onto
 * gRPC statuses (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, UNAVAILABLE). A call naming a transaction runs on
 * that transaction's manager's context ({@link TransactionManagers#call}); what the request's context knows of the
 * caller (address, TLS identity) is read here, before the hop.
 */
public final class CoordinatorGrpcService extends TransactionCoordinatorService {

  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorGrpcService.class);

  private final Supplier<TransactionManagers> managers;
  private final EndpointAllowList endpointAllow;

  public CoordinatorGrpcService(TransactionManagers managers, EndpointAllowList endpointAllow) {
    this(() -> managers, endpointAllow);
  }

  /**
   * @param managers the managers serving now; it throws a {@link io.pledge.coordinator.protocol.CoordinatorException}
   *     when none do (a cluster member that is not the leader)
   */
  public CoordinatorGrpcService(Supplier<TransactionManagers> managers, EndpointAllowList endpointAllow) {
    this.managers = managers;
    this.endpointAllow = endpointAllow;
  }

  @Override
  public Future<BeginResponse> begin(BeginRequest request) {
    // The caller's identity becomes the transaction's owner: only it (or an operator) may finish or read it.
    String owner = GrpcGuard.principal().map(Principal::identity).orElse("");
    String caller = GrpcGuard.caller();
    return guarded(() -> {
      java.util.Map<String, String> labels = Requests.labels(request.getLabelsMap());
      return managers.get().next(m -> m.begin(request.getTimeoutMs(), labels, caller, owner));
    }).map(view -> BeginResponse.newBuilder().setTxId(view.id().toString())
        .setDeadlineEpochMs(view.deadlineMillis()).build());
  }

  @Override
  public Future<ReserveTransactionIdsResponse> reserveTransactionIds(ReserveTransactionIdsRequest request) {
    String owner = GrpcGuard.principal().map(Principal::identity).orElse("");
    String caller = GrpcGuard.caller();
    // As a Begin: the manager of the loop it arrived on; the block's ids are that manager's and route back to it.
    return guarded(() -> managers.get().next(m -> m.reserveIds(request.getCount(), caller, owner)))
        .map(block -> ReserveTransactionIdsResponse.newBuilder().setTxIdPrefix(block.prefix())
            .setFirstSequence(block.firstSequence()).setCount(block.count())
            .setExpiresEpochMs(block.expiresAtMillis()).setDefaultTimeoutMs(block.defaultTimeoutMillis()).build());
  }

  /**
   * The participants a Commit or Rollback reports: each valid and within participant.endpoint-allow, bounded in
   * number. Unlike Enlist, the caller is the client, not the participant: the participant's consent is its branch,
   * since it votes yes only on work it did under this transaction (docs/security.md, "The short path").
   */
  private List<Participant> reported(List<io.pledge.api.v1.EnlistedParticipant> list) {
    if (list.size() > Requests.MAX_EXPECTED_PARTICIPANTS) {
      throw new IllegalArgumentException("too many participants: " + list.size() + " (at most "
          + Requests.MAX_EXPECTED_PARTICIPANTS + ")");
    }
    List<Participant> out = new java.util.ArrayList<>(list.size());
    Map<String, String> endpoints = new java.util.HashMap<>();
    for (io.pledge.api.v1.EnlistedParticipant p : list) {
      Participant participant = allowed(Requests.participant(p.getParticipantId(), p.getEndpoint()));
      String other = endpoints.putIfAbsent(participant.id(), participant.endpoint());
      if (other != null && !other.equals(participant.endpoint())) {
        // Refused here, before the id of a reserved transaction is claimed: the request changes nothing.
        throw new IllegalArgumentException("participant " + participant.id() + " is reported at two endpoints, "
            + other + " and " + participant.endpoint());
      }
      out.add(participant);
    }
    return out;
  }

  private Participant allowed(Participant participant) {
    if (!endpointAllow.allows(Endpoint.parse(participant.endpoint()))) {
      throw new CoordinatorException(CoordinatorException.Code.PERMISSION_DENIED, "endpoint "
          + participant.endpoint() + " of participant " + participant.id()
          + " is not allowed by participant.endpoint-allow (" + endpointAllow + ")");
    }
    return participant;
  }

  @Override
  public Future<EnlistResponse> enlist(EnlistRequest request) {
    return guarded(() -> {
      TxId id = Requests.txId(request.getTxId());
      Participant participant = Requests.participant(request.getParticipantId(), request.getEndpoint());
      Optional<Principal> by = GrpcGuard.principal();
      if (by.isPresent() && !Ownership.speaksFor(by.get().identity(), participant.id())) {
        // Under TLS a participant enlists only as itself: the id names the certificate (docs/security.md).
        throw new CoordinatorException(CoordinatorException.Code.PERMISSION_DENIED, "Enlist of participant "
            + participant.id() + " is refused: a participant enlists only under its own id (the last path segment"
            + " of its certificate's SAN URI, or the first label of its DNS name); " + by.get().identity()
            + " is not " + participant.id());
      }
      Participant allowedParticipant = allowed(participant);
      return managers.get().call(id, m -> m.enlist(id, allowedParticipant))
          .map(e -> EnlistResponse.newBuilder().setAlreadyEnlisted(e.alreadyEnlisted())
              .setDeadlineEpochMs(e.deadlineMillis()).build());
    });
  }

  @Override
  public Future<CommitResponse> commit(CommitRequest request) {
    Optional<Principal> by = GrpcGuard.principal();
    return guarded(() -> {
      TxId id = Requests.txId(request.getTxId());
      Set<String> expected = Requests.expectedParticipants(request.getExpectedParticipantsList());
      List<Participant> reported = reported(request.getParticipantsList());
      Map<String, String> labels = Requests.labels(request.getLabelsMap());
      return managers.get().call(id, m -> m.commit(id, expected, reported, labels, by));
    }).map(decision -> {
      CommitResponse.Builder b = CommitResponse.newBuilder().setOutcome(Protos.outcome(decision.outcome()));
      if (decision.reason() != null) {
        b.setAbortReason(Protos.abortReason(decision.reason()));
      }
      return b.build();
    });
  }

  @Override
  public Future<RollbackResponse> rollback(RollbackRequest request) {
    Optional<Principal> by = GrpcGuard.principal();
    return guarded(() -> {
      TxId id = Requests.txId(request.getTxId());
      List<Participant> reported = reported(request.getParticipantsList());
      return managers.get().call(id, m -> m.rollback(id, reported, by));
    }).map(outcome -> RollbackResponse.newBuilder().setOutcome(Protos.outcome(outcome)).build());
  }

  @Override
  public Future<GetOutcomeResponse> getOutcome(GetOutcomeRequest request) {
    return guarded(() -> {
      TxId id = Requests.txId(request.getTxId());
      return managers.get().call(id, m -> m.outcome(id));
    }).map(outcome -> GetOutcomeResponse.newBuilder().setOutcome(Protos.outcome(outcome)).build());
  }

  @Override
  public Future<GetTransactionResponse> getTransaction(GetTransactionRequest request) {
    Optional<Principal> by = GrpcGuard.principal();
    return guarded(() -> {
      TxId id = Requests.txId(request.getTxId());
      return managers.get().call(id, m -> m.get(id, by));
    }).map(view -> GetTransactionResponse.newBuilder().setTransaction(Protos.transaction(view)).build());
  }

  @Override
  public Future<ListTransactionsResponse> listTransactions(ListTransactionsRequest request) {
    return guarded(() -> {
      int pageSize = Requests.pageSize(request.getPageSize());
      Set<TxState> states = EnumSet.noneOf(TxState.class);
      request.getStatesList().forEach(s -> states.add(Protos.state(s)));
      TxId after = request.getPageToken().isEmpty() ? null : TxId.parse(request.getPageToken());
      return managers.get().list(states, after, pageSize + 1).map(page -> page(page, pageSize));
    });
  }

  private static ListTransactionsResponse page(List<TxView> page, int pageSize) {
      ListTransactionsResponse.Builder b = ListTransactionsResponse.newBuilder();
      // Paged by bytes as well as by count: 1000 transactions with the largest labels would make a reply of
      // megabytes, past what a client accepts. At least one per page, so that paging always moves on.
      int bytes = 0;
      int taken = 0;
      for (TxView view : page) {
        if (taken == pageSize) {
          break;
        }
        io.pledge.api.v1.TransactionInfo info = Protos.transaction(view);
        int size = com.google.protobuf.CodedOutputStream.computeMessageSize(1, info);
        if (taken > 0 && bytes + size > Requests.MAX_PAGE_BYTES) {
          break;
        }
        b.addTransactions(info);
        bytes += size;
        taken++;
      }
      if (page.size() > taken) {
        b.setNextPageToken(page.get(taken - 1).id().toString());
      }
      return b.build();
  }

  /** Runs a handler, turning every failure into a status with a clear message; never a stack trace on the wire. */
  static <T> Future<T> guarded(Supplier<Future<T>> handler) {
    Future<T> result;
    try {
      result = handler.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.recover(failure -> Future.failedFuture(toStatus(failure)));
  }

  private static Throwable toStatus(Throwable failure) {
    if (failure instanceof CoordinatorException e) {
      GrpcStatus status = switch (e.code()) {
        case INVALID_ARGUMENT -> GrpcStatus.INVALID_ARGUMENT;
        case NOT_FOUND -> GrpcStatus.NOT_FOUND;
        case FAILED_PRECONDITION -> GrpcStatus.FAILED_PRECONDITION;
        case RESOURCE_EXHAUSTED -> GrpcStatus.RESOURCE_EXHAUSTED;
        case PERMISSION_DENIED -> GrpcStatus.PERMISSION_DENIED;
        case UNAVAILABLE -> GrpcStatus.UNAVAILABLE;
      };
      return Rpc.status(status, e.getMessage());
    }
    if (failure instanceof IllegalArgumentException e) {
      return Rpc.status(GrpcStatus.INVALID_ARGUMENT, e.getMessage());
    }
    LOG.error("unexpected failure in a coordinator request", failure);
    return Rpc.status(GrpcStatus.INTERNAL, "internal error: " + failure.getClass().getSimpleName());
  }
}
