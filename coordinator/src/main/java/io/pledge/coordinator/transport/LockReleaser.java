package io.pledge.coordinator.transport;

import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.ReleaseAllLocksRequest;
import io.pledge.common.grpc.CallSessions;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.retry.Backoff;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.state.TxId;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases every lock a finished transaction owns ({@code ReleaseAll(owner = tx id)} on the lock service): the
 * participants lock with the transaction id as owner and never release themselves, and a finished transaction's
 * locks must not outlive it.
 *
 * <p>While the lock service does not answer (an outage), releases wait in a bounded queue and one probe is retried
 * with capped exponential backoff; once it answers, the queue is drained. An outage is one WARN line when it
 * starts and one INFO line, with the counts, when it ends, however many transactions finish meanwhile (before:
 * one WARN per transaction, hundreds per outage). Past {@link #MAX_PENDING} queued releases the oldest are
 * dropped (counted in that line): their locks then expire with their lease.
 *
 * <p>Threading: {@link #release} may be called from any event loop (every transaction manager of the coordinator
 * shares one releaser, so that an outage is one line however many loops there are). While the lock service
 * answers, a release is sent from the caller's own loop; the outage state, queue and timers live on the
 * {@code home} context only, where every answer is brought back.
 */
public final class LockReleaser {

  private static final Logger LOG = LoggerFactory.getLogger(LockReleaser.class);
  static final int MAX_PENDING = 100_000;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
  private static final Backoff RETRY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));

  private final Vertx vertx;
  private final Context home;
  private final CallSessions calls;
  private final Endpoint lockService;
  private final ArrayDeque<TxId> pending = new ArrayDeque<>();
  /** Written on {@code home} only; read by callers of {@link #release} on any loop. */
  private volatile boolean outage;
  private long outageStartNanos;
  private long failedCalls;
  private long dropped;
  private int retries;
  private long retryTimer = -1;
  private boolean closed;

  public LockReleaser(Vertx vertx, Endpoint lockService) {
    this(vertx, vertx.getOrCreateContext(), lockService, Optional.empty());
  }

  /**
   * {@code home}: the event-loop context the outage state lives on; {@code tls}: the coordinator's own, its
   * certificate its identity to the lock service (mutual TLS).
   */
  public LockReleaser(Vertx vertx, Context home, Endpoint lockService, Optional<TlsOptions> tls) {
    this.vertx = vertx;
    this.home = home;
    this.lockService = lockService;
    this.calls = new CallSessions(vertx, new HttpClientOptions().setConnectTimeout(2000), java.util.Map.of(), true,
        tls);
  }

  public void release(TxId id) {
    if (!outage) {
      send(id);
    } else {
      atHome(() -> {
        if (outage) {
          enqueue(id);
        } else {
          send(id);
        }
      });
    }
  }

  private void send(TxId id) {
    call(id).onComplete(ar -> atHome(() -> {
      if (ar.succeeded()) {
        if (outage) {
          recovered();
        }
      } else {
        enqueue(id);
        failed(ar.cause());
      }
    }));
  }

  /** Runs {@code action} on the home context: at once when already on its thread. */
  private void atHome(Runnable action) {
    if (io.pledge.coordinator.protocol.TransactionManagers.onLoopOf(home)) {
      action.run();
    } else {
      home.runOnContext(v -> action.run());
    }
  }

  private Future<Void> call(TxId id) {
    ReleaseAllLocksRequest request = ReleaseAllLocksRequest.newBuilder().setOwner(id.toString()).build();
    return calls.call(lockService.toSocketAddress(), LockServiceGrpcClient.ReleaseAll, request, CALL_TIMEOUT)
        .map(r -> {
          if (r.getReleasedCount() > 0 || r.getCancelledWaits() > 0) {
            LOG.atDebug().addKeyValue("txId", id).addKeyValue("released", r.getReleasedCount()).log("locks released");
          }
          return null;
        });
  }

  private void enqueue(TxId id) {
    if (pending.size() >= MAX_PENDING) {
      pending.poll();
      dropped++;
    }
    pending.add(id);
  }

  private void failed(Throwable e) {
    failedCalls++;
    if (!outage) {
      outage = true;
      outageStartNanos = System.nanoTime();
      LOG.atWarn().addKeyValue("lockService", lockService).log("the lock service does not answer (" + e.getMessage()
          + "): finished transactions' locks are queued and their release retried with backoff; one line follows"
          + " when it answers");
      scheduleRetry();
    }
  }

  private void scheduleRetry() {
    if (closed || retryTimer >= 0) {
      return;
    }
    retryTimer = vertx.setTimer(RETRY.jittered(retries++, ThreadLocalRandom.current()).toMillis(), t -> {
      retryTimer = -1;
      probe();
    });
  }

  /** One queued release as a probe: while it fails, the outage goes on. */
  private void probe() {
    TxId id = pending.poll();
    if (id == null) {
      recovered();
      return;
    }
    call(id).onSuccess(v -> recovered()).onFailure(e -> {
      pending.addFirst(id);
      failedCalls++;
      scheduleRetry();
    });
  }

  private void recovered() {
    if (!outage) {
      return;
    }
    outage = false;
    retries = 0;
    List<TxId> queued = new ArrayList<>(pending);
    pending.clear();
    LOG.atInfo().addKeyValue("lockService", lockService).addKeyValue("queued", queued.size())
        .addKeyValue("failedCalls", failedCalls).addKeyValue("dropped", dropped)
        .log("the lock service answers again after " + Duration.ofNanos(System.nanoTime() - outageStartNanos)
            .toMillis() + " ms: releasing the locks of " + queued.size() + " finished transactions" + (dropped > 0
                ? " (" + dropped + " more were dropped from the full queue: their locks expire with their lease)"
                : ""));
    failedCalls = 0;
    dropped = 0;
    queued.forEach(this::send);
  }

  /** Releases queued now, for tests and metrics. */
  int pending() {
    return pending.size();
  }

  public Future<Void> close() {
    closed = true;
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
    }
    return calls.close();
  }
}
