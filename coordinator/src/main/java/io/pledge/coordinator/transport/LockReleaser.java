package io.pledge.coordinator.transport;

import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.ReleaseAllLocksRequest;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.state.TxId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases every lock a finished transaction owns ({@code ReleaseAll(owner = tx id)} on the lock service): the
 * participants lock with the transaction id as owner and never release themselves. Best effort with a few
 * retries: a lock that is not released in the end expires with its lease.
 */
public final class LockReleaser {

  private static final Logger LOG = LoggerFactory.getLogger(LockReleaser.class);
  private static final int ATTEMPTS = 5;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final CallSessions calls;
  private final Endpoint lockService;

  public LockReleaser(Vertx vertx, Endpoint lockService) {
    this(vertx, lockService, Optional.empty());
  }

  /** {@code tls}: the coordinator's own, its certificate its identity to the lock service (mutual TLS). */
  public LockReleaser(Vertx vertx, Endpoint lockService, Optional<TlsOptions> tls) {
    this.vertx = vertx;
    this.lockService = lockService;
    this.calls = new CallSessions(vertx, new HttpClientOptions().setConnectTimeout(2000), java.util.Map.of(), true,
        tls);
  }

  public void release(TxId id) {
    attempt(id, 1);
  }

  private void attempt(TxId id, int attempt) {
    ReleaseAllLocksRequest request = ReleaseAllLocksRequest.newBuilder().setOwner(id.toString()).build();
    calls.call(lockService.toSocketAddress(), LockServiceGrpcClient.ReleaseAll, request, CALL_TIMEOUT)
        .onSuccess(r -> {
          if (r.getReleasedCount() > 0 || r.getCancelledWaits() > 0) {
            LOG.atDebug().addKeyValue("txId", id).addKeyValue("released", r.getReleasedCount()).log("locks released");
          }
        })
        .onFailure(e -> {
          if (attempt < ATTEMPTS) {
            vertx.setTimer(100L << attempt, t -> attempt(id, attempt + 1));
          } else {
            LOG.atWarn().addKeyValue("txId", id).log("locks not released (they expire with their lease): "
                + e.getMessage());
          }
        });
  }

  public Future<Void> close() {
    return calls.close();
  }
}
