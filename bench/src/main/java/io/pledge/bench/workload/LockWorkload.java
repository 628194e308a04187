package io.pledge.bench.workload;

import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.TlsOptions;
import io.pledge.lock.client.LockClient;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;

/**
 * The lock service alone: an exclusive acquire (waiting up to 10 s) then its release, through {@link LockClient}.
 * Uncontended ({@code hotLocks == 0}): every client its own lock. Contended: all clients on {@code hotLocks}
 * locks, waiting FIFO.
 */
public final class LockWorkload implements Workload {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final Clients<LockClient> clients;
  private final int hotLocks;

  public LockWorkload(Vertx vertx, Endpoint lockService, int connections, int hotLocks) {
    this(vertx, lockService, connections, hotLocks, Optional.empty());
  }

  /** @param tls the client's TLS (its certificate its identity, role lock-user); empty: plaintext */
  public LockWorkload(Vertx vertx, Endpoint lockService, int connections, int hotLocks, Optional<TlsOptions> tls) {
    this.clients = Clients.of(connections, i -> tls.isPresent() ? LockClient.create(vertx, lockService, tls)
        : LockClient.create(vertx, lockService));
    this.hotLocks = hotLocks;
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      String lock = hotLocks > 0 ? "hot-" + (seq % hotLocks) : "own-" + slot;
      return clients.pick(slot).acquire(LockClient.Request.exclusive(lock, "bench-" + seq, LEASE).waitingUpTo(WAIT))
          .compose(handle -> handle.release()).map(Outcome.COMMITTED);
    };
  }

  @Override
  public void close() {
    clients.all().forEach(LockClient::close);
  }
}
