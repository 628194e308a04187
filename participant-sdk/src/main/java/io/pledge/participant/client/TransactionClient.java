package io.pledge.participant.client;

import com.google.protobuf.MessageLite;
import io.pledge.api.v1.BeginRequest;
import io.pledge.api.v1.CommitRequest;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.RollbackRequest;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.tls.TlsOptions;
import io.pledge.common.grpc.Rpc;
import io.pledge.common.grpc.RpcException;
import io.pledge.participant.propagation.TxPropagation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.common.ServiceMethod;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the service that starts a transaction uses: begin, commit, rollback over gRPC to the coordinator, and
 * {@link #inTransaction} which does all three around a piece of work.
 *
 * <p><b>Atomicity does not rest on the caller.</b> A call to another service made under a transaction may fail in a
 * way that leaves its effect unknown: the callee may have done its work, or may never have joined. Make such calls
 * through {@link #call}: a failure marks the transaction rollback-only here, and {@link #commit} then rolls it back
 * and answers ABORTED naming the failed call, even when the application ignored the failure (a careless client
 * would otherwise commit the other services' work alone: half a transfer). An application that handled a failure
 * itself (it knows the callee did nothing, or it does not need it) says so with {@link #handled}. Clients in other
 * languages get the same protection from the coordinator by naming the participants they expect in Commit
 * ({@link #commit(String, Collection)}, {@code CommitRequest.expected_participants}).
 *
 * <p>Every method returns a Vert.x {@link Future} and never blocks. Failures are {@link PledgeException}s: see its
 * subclasses for what each means and whether a retry is safe.
 */
public final class TransactionClient implements AutoCloseable {

  /** Default deadline of each call to the coordinator. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(10);

  /**
   * The least a Commit is given: it may wait for the coordinator's prepare timeout (10 s by default) and a forced
   * log write, and a client that gives up first only learns "outcome unknown" instead of the abort reason.
   */
  public static final Duration MIN_COMMIT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Rollback-only marks kept at most: a mark outlives the transaction's commit (a repeated commit answers ABORTED
   * again), so the map is bounded; the oldest marks go first.
   */
  static final int MAX_MARKS = 100_000;

  private final CallSessions calls;
  private final Endpoint coordinator;
  private final Duration callTimeout;
  /** Transaction id -> (failed call -> reason), oldest transaction first. Guarded by itself. */
  private final Map<String, Map<String, String>> rollbackOnly = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Map<String, String>> eldest) {
      return size() > MAX_MARKS;
    }
  };
  /** A coordinator cluster's members; null for a single coordinator. */
  private LeaderEndpoints cluster;

  /** Ids reserved per ReserveTransactionIds call. */
  static final int ID_BLOCK = 256;
  /** Transactions begun on the short path and not answered yet, kept at most (see {@link #begin}). */
  static final int MAX_STARTED = 100_000;

  /** Whether transactions begin from reserved ids and collect enlistments from answers (the short path). */
  private volatile boolean shortPath = true;
  /** Guarded by itself. */
  private final ReservedIds ids = new ReservedIds();
  private final java.util.concurrent.atomic.LongAdder callsMade = new java.util.concurrent.atomic.LongAdder();
  /** A transaction begun here on the short path, until Commit or Rollback is answered. */
  private static final class Started {
    final long deadlineMillis;
    final Map<String, String> labels;
    /** Participant id -> endpoint, as the answers of its calls reported them. */
    final Map<String, String> enlisted = new LinkedHashMap<>();

    Started(long deadlineMillis, Map<String, String> labels) {
      this.deadlineMillis = deadlineMillis;
      this.labels = labels;
    }
  }
  /** Guarded by itself. */
  private final Map<String, Started> started = new java.util.HashMap<>();

  private TransactionClient(CallSessions calls, Endpoint coordinator, Duration callTimeout) {
    this.calls = calls;
    this.coordinator = coordinator;
    this.callTimeout = callTimeout;
  }

  /**
   * A client of a coordinator cluster: calls go to its leader, found from {@code coordinators} (see
   * {@link LeaderEndpoints}); a single endpoint is the plain client.
   */
  public static TransactionClient create(Vertx vertx, List<Endpoint> coordinators, Duration callTimeout,
      HttpClientOptions transport, Map<String, String> credentials) {
    TransactionClient client = create(vertx, coordinators.get(0), callTimeout, transport, credentials);
    if (coordinators.size() > 1) {
      client.cluster = LeaderEndpoints.of(vertx, coordinators, callTimeout);
    }
    return client;
  }

  public static TransactionClient create(Vertx vertx, Endpoint coordinator) {
    return create(vertx, coordinator, DEFAULT_CALL_TIMEOUT);
  }

  public static TransactionClient create(Vertx vertx, Endpoint coordinator, Duration callTimeout) {
    return create(vertx, coordinator, callTimeout, new HttpClientOptions(), Map.of());
  }

  /**
   * @param transport HTTP/2 client options: TLS, and a client certificate for mutual TLS
   * @param credentials per-call credentials such as a bearer token: sent when a call session opens and with every
   *     unary call
   */
  public static TransactionClient create(Vertx vertx, Endpoint coordinator, Duration callTimeout,
      HttpClientOptions transport, Map<String, String> credentials) {
    Objects.requireNonNull(coordinator, "coordinator");
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("callTimeout must be positive");
    }
    return new TransactionClient(new CallSessions(vertx, transport, credentials), coordinator, callTimeout);
  }

  /**
   * A client over TLS when {@code tls} is given: its certificate (reloaded as the files change) is the caller's
   * identity to the coordinator, which checks it under mutual TLS.
   */
  public static TransactionClient create(Vertx vertx, Endpoint coordinator, Duration callTimeout,
      Optional<TlsOptions> tls) {
    Objects.requireNonNull(coordinator, "coordinator");
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("callTimeout must be positive");
    }
    return new TransactionClient(new CallSessions(vertx, new HttpClientOptions(), Map.of(), true, tls), coordinator,
        callTimeout);
  }

  /** Begins a transaction with the coordinator's default timeout; completes with its id. */
  public Future<String> begin() {
    return begin(Duration.ZERO, Map.of());
  }

  /**
   * Turns the short path off (on by default): every transaction then begins with a Begin call and its participants
   * enlist by calling the coordinator, as before issue 16. For a coordinator that does not know
   * ReserveTransactionIds, or to compare.
   */
  public TransactionClient shortPath(boolean on) {
    this.shortPath = on;
    return this;
  }

  /**
   * Begins a transaction. On the short path (the default) this is no call: the id comes from a block reserved ahead
   * (ReserveTransactionIds, one call per {@value #ID_BLOCK} transactions), and the coordinator first hears of the
   * transaction at its Commit or Rollback, which carries the participants that reported joining it to {@link
   * #call(String, String, Function)}. Without a usable block (the first transaction, a timeout other than the
   * coordinator's default, a coordinator that refuses reservations) it is a Begin call, and its participants may
   * still report their enlistment.
   *
   * @param timeout how long it may stay unfinished before it is aborted; zero for the coordinator's default
   */
  public Future<String> begin(Duration timeout, Map<String, String> labels) {
    if (timeout.isNegative()) {
      return Future.failedFuture(new IllegalArgumentException("timeout must not be negative"));
    }
    if (shortPath) {
      long now = System.currentTimeMillis();
      ReservedIds.Taken taken;
      boolean reserve;
      synchronized (ids) {
        taken = ids.take(timeout.toMillis(), now);
        reserve = ids.shouldReserve(now);
        if (reserve) {
          ids.reserving();
        }
      }
      Future<Void> reserved = reserve ? reserve() : Future.succeededFuture();
      if (taken != null) {
        return track(taken, labels);
      }
      if (reserve) {
        // The first transaction (or the first after a block ran dry) waits for the block it asked for.
        return reserved.transform(ar -> {
          ReservedIds.Taken now2;
          synchronized (ids) {
            now2 = ids.take(timeout.toMillis(), System.currentTimeMillis());
          }
          return now2 != null ? track(now2, labels) : beginCall(timeout, labels);
        });
      }
    }
    return beginCall(timeout, labels);
  }

  /** Keeps what Commit will need of a transaction begun here; its id, or a failure when too many are kept. */
  private Future<String> track(ReservedIds.Taken taken, Map<String, String> labels) {
    synchronized (started) {
      if (started.size() >= MAX_STARTED) {
        // Transactions begun and never committed nor rolled back: drop those past their deadline (the coordinator
        // refuses them by now); if none is, this client is leaking transactions.
        long now = System.currentTimeMillis();
        started.values().removeIf(st -> st.deadlineMillis + 2 * ReservedIds.CLOCK_SLACK_MILLIS < now);
        if (started.size() >= MAX_STARTED) {
          return Future.failedFuture(new IllegalStateException(MAX_STARTED + " transactions begun by this client"
              + " are neither committed nor rolled back"));
        }
      }
      started.put(taken.txId(), new Started(taken.deadlineMillis(), Map.copyOf(labels)));
    }
    return Future.succeededFuture(taken.txId());
  }

  private Future<Void> reserve() {
    return call("", TransactionCoordinatorGrpcClient.ReserveTransactionIds,
        io.pledge.api.v1.ReserveTransactionIdsRequest.newBuilder().setCount(ID_BLOCK).build())
        .transform(ar -> {
          synchronized (ids) {
            if (ar.succeeded()) {
              var r = ar.result();
              ids.reserved(new ReservedIds.Block(r.getTxIdPrefix(), r.getFirstSequence(), r.getCount(),
                  r.getExpiresEpochMs(), r.getDefaultTimeoutMs()));
            } else {
              ids.failed(System.currentTimeMillis() + 1_000);
            }
          }
          return Future.<Void>succeededFuture();
        });
  }

  private Future<String> beginCall(Duration timeout, Map<String, String> labels) {
    BeginRequest request = BeginRequest.newBuilder().setTimeoutMs(timeout.toMillis()).putAllLabels(labels).build();
    Future<io.pledge.api.v1.BeginResponse> begun = call("", TransactionCoordinatorGrpcClient.Begin, request);
    if (!shortPath) {
      return begun.map(r -> r.getTxId());
    }
    // Begun by a call, its participants may still report their enlistment: the Commit carries them all the same.
    return begun.compose(r -> track(new ReservedIds.Taken(r.getTxId(), r.getDeadlineEpochMs()), Map.of()));
  }

  /**
   * Runs a call to another service that works under {@code txId} (an HTTP or gRPC request carrying the transaction
   * id): its failure marks the transaction rollback-only, so that it cannot commit without the callee's part.
   *
   * @param what names the call in the abort detail, e.g. {@code "bank-a POST /debit"}
   */
  public <T> Future<T> call(String txId, String what, Supplier<Future<T>> call) {
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(what, "what");
    Future<T> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.onFailure(e -> mark(txId, what, "call " + what + " failed (" + e.getMessage() + "); the callee"
        + " may have done its work or may not have joined"));
  }

  /**
   * A call to another service under {@code txId} on the short path. {@code call} gets a {@link TxCall}: it sends
   * {@link TxCall#headers()} with its request (gRPC metadata or HTTP headers) and hands the answer's headers to
   * {@link TxCall#answered} before it completes. A participant that joins names itself in them, and Commit carries
   * it, so it never calls Enlist. A failure marks the transaction rollback-only, as {@link #call(String, String,
   * Supplier)}; so does a success whose answer was not handed over, since a participant may have joined unseen.
   * For a transaction this client did not begin on the short path it is that plain call, with the plain header.
   */
  public <T> Future<T> call(String txId, String what, Function<TxCall, Future<T>> call) {
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(what, "what");
    Started st;
    synchronized (started) {
      st = started.get(txId);
    }
    TxCall tx = new TxCall(txId, st);
    return call(txId, what, () -> call.apply(tx)).compose(result -> {
      if (st != null && !tx.answered) {
        mark(txId, what, "call " + what + " succeeded, but its answer's headers were not handed to"
            + " TxCall.answered: a participant may have joined unseen, so the transaction cannot commit");
      }
      return Future.succeededFuture(result);
    });
  }

  /** One call under a transaction on the short path: what to send, and where the answer's headers go. */
  public final class TxCall {
    private final String txId;
    private final Started started;
    private volatile boolean answered;

    private TxCall(String txId, Started started) {
      this.txId = txId;
      this.started = started;
    }

    /** The headers to send: the transaction id and, on the short path, the deadline and the report flag. */
    public Map<String, String> headers() {
      Map<String, String> headers = new LinkedHashMap<>(TxPropagation.metadata(txId));
      if (started != null) {
        headers.put(TxPropagation.ENLIST_HEADER, TxPropagation.REPORT);
        headers.put(TxPropagation.DEADLINE_HEADER, Long.toString(started.deadlineMillis));
      }
      return headers;
    }

    /** The answer's headers (also of a failed answer): the participants that joined are kept for Commit. */
    public void answered(io.vertx.core.MultiMap responseHeaders) {
      answered = true;
      if (started == null) {
        return;
      }
      List<Map.Entry<String, String>> joined;
      try {
        joined = TxPropagation.enlisted(responseHeaders);
      } catch (IllegalArgumentException e) {
        mark(txId, "", "an answer's " + TxPropagation.ENLISTED + " header is malformed: " + e.getMessage());
        return;
      }
      synchronized (TransactionClient.this.started) {
        joined.forEach(p -> started.enlisted.put(p.getKey(), p.getValue()));
      }
    }
  }

  /**
   * The application handled the failure of {@code what} itself (it knows the callee did nothing that must commit,
   * or it retried the call successfully): lifts that call's rollback-only mark.
   */
  public void handled(String txId, String what) {
    synchronized (rollbackOnly) {
      Map<String, String> marks = rollbackOnly.get(txId);
      if (marks != null) {
        marks.remove(what);
        if (marks.isEmpty()) {
          rollbackOnly.remove(txId);
        }
      }
    }
  }

  /** Marks the transaction rollback-only (as JTA's {@code setRollbackOnly}): its commit will answer ABORTED. */
  public void setRollbackOnly(String txId, String reason) {
    mark(txId, "", reason == null || reason.isBlank() ? "marked rollback-only by the application" : reason);
  }

  /** Why the transaction may only roll back (the first failed call's reason), or empty. */
  public Optional<String> rollbackOnly(String txId) {
    synchronized (rollbackOnly) {
      Map<String, String> marks = rollbackOnly.get(txId);
      return marks == null || marks.isEmpty() ? Optional.empty() : Optional.of(marks.values().iterator().next());
    }
  }

  private void mark(String txId, String what, String reason) {
    synchronized (rollbackOnly) {
      rollbackOnly.computeIfAbsent(txId, k -> new LinkedHashMap<>()).putIfAbsent(what, reason);
    }
  }

  /**
   * Runs two-phase commit; completes with the outcome once it is durable. Repeating it returns the same outcome. A
   * transaction marked rollback-only here ({@link #call}, {@link #setRollbackOnly}) is rolled back instead and
   * answered ABORTED with the reason.
   */
  public Future<TxOutcome> commit(String txId) {
    return commit(txId, List.of());
  }

  /**
   * Like {@link #commit(String)}, and the coordinator aborts the transaction (cause PARTICIPANT_MISSING) when one of
   * {@code expectedParticipants} (participant ids) never enlisted, instead of committing the others' work alone.
   */
  public Future<TxOutcome> commit(String txId, Collection<String> expectedParticipants) {
    Optional<String> doomed = rollbackOnly(txId);
    if (doomed.isPresent()) {
      // Commit was never asked for, so the coordinator will not commit it: ABORTED is the outcome whether or not
      // this rollback reaches it now (an unreachable coordinator aborts it at its timeout).
      return rollback(txId).transform(ar -> Future.succeededFuture(new TxOutcome(txId, TxOutcome.Status.ABORTED,
          "ABORT_CAUSE_PARTICIPANT_MISSING", "rolled back by the client: " + doomed.get())));
    }
    Duration deadline = callTimeout.compareTo(MIN_COMMIT_TIMEOUT) > 0 ? callTimeout : MIN_COMMIT_TIMEOUT;
    CommitRequest.Builder request = CommitRequest.newBuilder().setTxId(txId)
        .addAllExpectedParticipants(expectedParticipants).addAllParticipants(reported(txId));
    synchronized (started) {
      Started st = started.get(txId);
      if (st != null) {
        request.putAllLabels(st.labels);
      }
    }
    return call(txId, TransactionCoordinatorGrpcClient.Commit, request.build(), deadline)
        .recover(failure -> Future.failedFuture(outcomeUnknown(txId, failure)))
        .onSuccess(r -> answeredDefinitely(txId, r.getAbortReason()))
        .compose(r -> r.getOutcome() == Outcome.OUTCOME_COMMITTED
            ? Future.succeededFuture(new TxOutcome(txId, TxOutcome.Status.COMMITTED, "", ""))
            : r.getOutcome() == Outcome.OUTCOME_ABORTED
                ? Future.succeededFuture(new TxOutcome(txId, TxOutcome.Status.ABORTED,
                    r.getAbortReason().getCause().name(), abortDetail(r.getAbortReason())))
                : Future.failedFuture(new IllegalStateException("coordinator answered Commit of " + txId + " with "
                    + r.getOutcome())));
  }

  /** Aborts the transaction (idempotent on an aborted one); fails with {@link TransactionFinishedException} after a commit. */
  public Future<TxOutcome> rollback(String txId) {
    RollbackRequest request = RollbackRequest.newBuilder().setTxId(txId).addAllParticipants(reported(txId)).build();
    return call(txId, TransactionCoordinatorGrpcClient.Rollback, request)
        .onSuccess(r -> answeredDefinitely(txId, io.pledge.api.v1.AbortReason.getDefaultInstance()))
        .map(r -> new TxOutcome(txId, TxOutcome.Status.ABORTED, "ABORT_CAUSE_ROLLBACK_REQUESTED", ""));
  }

  /**
   * Begins a transaction, runs {@code work} with its id, then commits if the work succeeded or rolls back if it
   * failed. Completes with the outcome (and the work's value or failure); fails only when the coordinator itself
   * cannot be used (then the outcome may be unknown: see the exception).
   */
  public <T> Future<TxResult<T>> inTransaction(Function<String, Future<T>> work) {
    return begin().compose(txId -> {
      Future<T> done;
      try {
        done = work.apply(txId);
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      return done.transform(ar -> ar.succeeded()
          ? commit(txId).map(outcome -> new TxResult<>(outcome, ar.result(), null))
          : rollback(txId).map(outcome -> new TxResult<T>(outcome, null, ar.cause())));
    });
  }

  /** The participants that reported joining {@code txId} in the answers to its calls, for its Commit or Rollback. */
  private List<io.pledge.api.v1.EnlistedParticipant> reported(String txId) {
    synchronized (started) {
      Started st = started.get(txId);
      if (st == null) {
        return List.of();
      }
      List<io.pledge.api.v1.EnlistedParticipant> out = new java.util.ArrayList<>(st.enlisted.size());
      st.enlisted.forEach((id, endpoint) -> out.add(io.pledge.api.v1.EnlistedParticipant.newBuilder()
          .setParticipantId(id).setEndpoint(endpoint).build()));
      return out;
    }
  }

  /** A definite answer: the transaction's short-path record is no longer needed (a repeat is answered from there). */
  private void answeredDefinitely(String txId, io.pledge.api.v1.AbortReason reason) {
    synchronized (started) {
      started.remove(txId);
    }
    if (reason.getCause() == io.pledge.api.v1.AbortCause.ABORT_CAUSE_COORDINATOR_RESTARTED) {
      synchronized (ids) {
        ids.epochEnded(txId);
      }
    }
  }

  /**
   * A Commit that failed without an answer: whatever the transport said, the outcome is unknown to this client (the
   * decision may have been made and logged before the answer was lost). Definite answers pass through as they are.
   */
  private static Throwable outcomeUnknown(String txId, Throwable failure) {
    if (failure instanceof CoordinatorUnavailableException e) {
      return new CoordinatorUnavailableException(txId, "the outcome of transaction " + txId + " is unknown: the"
          + " coordinator failed or could not be reached during Commit (" + e.getMessage() + "); call commit again"
          + " (it answers the same outcome) or ask GetTransaction to learn it", e.getCause());
    }
    return failure;
  }

  private static String abortDetail(io.pledge.api.v1.AbortReason reason) {
    String who = reason.getParticipantId().isEmpty() ? "" : "participant " + reason.getParticipantId() + ": ";
    return who + reason.getDetail();
  }

  private <Req extends MessageLite, Resp> Future<Resp> call(String txId, ServiceMethod<Resp, Req> method,
      Req request) {
    return call(txId, method, request, callTimeout);
  }

  /** Calls made to the coordinator (Begin, ReserveTransactionIds, Commit, ...), for measurements. */
  public long callsMade() {
    return callsMade.sum();
  }

  private <Req extends MessageLite, Resp> Future<Resp> call(String txId, ServiceMethod<Resp, Req> method,
      Req request, Duration timeout) {
    callsMade.increment();
    Future<Resp> answer = cluster == null ? calls.call(coordinator.toSocketAddress(), method, request, timeout)
        : cluster.call(timeout, leader -> calls.call(leader.toSocketAddress(), method, request, timeout));
    return answer.recover(failure -> Future.failedFuture(ClientErrors.map(txId, Rpc.toRpcException(failure))));
  }

  @Override
  public void close() {
    calls.close();
  }

  /** The one place where gRPC statuses become typed exceptions. */
  static final class ClientErrors {
    private ClientErrors() {}

    static PledgeException map(String txId, RpcException e) {
      String what = txId.isEmpty() ? "" : "transaction " + txId + ": ";
      return switch (e.status()) {
        case NOT_FOUND -> new TransactionUnknownException(txId, what + "unknown to the coordinator: " + e.detail(), e);
        case FAILED_PRECONDITION -> new TransactionFinishedException(txId, what + e.detail(), e);
        case DEADLINE_EXCEEDED -> new TransactionTimeoutException(txId, what
            + "the coordinator did not answer in time; the outcome is unknown, call again to learn it", e);
        case INVALID_ARGUMENT, OUT_OF_RANGE -> new InvalidRequestException(txId, what + e.detail(), e);
        default -> new CoordinatorUnavailableException(txId, what + "coordinator unavailable (" + e.getMessage()
            + ")", e);
      };
    }
  }
}
