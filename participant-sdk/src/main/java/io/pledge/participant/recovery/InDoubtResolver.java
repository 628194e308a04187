package io.pledge.participant.recovery;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves branches that were prepared before a restart: for each one it asks the coordinator for the outcome,
 * with capped exponential backoff while the answer is PENDING or the coordinator is unreachable, and applies the
 * definite answer through the same path as the coordinator's own phase-2 calls. A prepared participant never
 * decides alone (it has promised the coordinator to obey), so there is no give-up timeout.
 *
 * <p>The number of branches still waiting is the gauge {@code pledge.participant.in_doubt}.
 */
public final class InDoubtResolver {

  private static final Logger LOG = LoggerFactory.getLogger(InDoubtResolver.class);

  /** What applying an outcome means: the engine's commit or rollback of the branch (idempotent). */
  public interface Apply {
    Future<Void> commit(String txId, String participantId);

    Future<Void> rollback(String txId, String participantId);
  }

  private record Branch(String txId, String participantId) {}

  private final Vertx vertx;
  private final OutcomeSource source;
  private final Apply apply;
  private final Backoff backoff;
  private final Set<Branch> waiting = ConcurrentHashMap.newKeySet();
  private final MeterRegistry registry;
  private final Gauge gauge;
  private volatile boolean closed;

  public InDoubtResolver(Vertx vertx, OutcomeSource source, Apply apply, Backoff backoff, MeterRegistry registry) {
    this.vertx = vertx;
    this.source = source;
    this.apply = apply;
    this.backoff = backoff;
    this.registry = registry;
    this.gauge = Gauge.builder("pledge.participant.in_doubt", waiting, Set::size)
        .description("Prepared branches waiting for the coordinator's outcome").register(registry);
  }

  /** Starts resolving a branch; the future completes once it is committed or rolled back here. */
  public Future<Void> resolve(String txId, String participantId) {
    Branch branch = new Branch(txId, participantId);
    if (!waiting.add(branch)) {
      return Future.succeededFuture();
    }
    LOG.atInfo().addKeyValue("txId", txId).addKeyValue("participantId", participantId)
        .log("in-doubt branch: asking the coordinator for its outcome");
    return attempt(branch, 0).andThen(ar -> waiting.remove(branch));
  }

  private Future<Void> attempt(Branch b, int attempt) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("resolver closed before " + b.txId() + " was resolved"));
    }
    return source.outcome(b.txId(), b.participantId())
        .compose(answer -> switch (answer) {
          case COMMITTED -> apply.commit(b.txId(), b.participantId()).map(true);
          case ABORTED -> apply.rollback(b.txId(), b.participantId()).map(true);
          case PENDING -> Future.succeededFuture(false);
        })
        .recover(failure -> {
          LOG.atInfo().addKeyValue("txId", b.txId()).addKeyValue("participantId", b.participantId())
              .addKeyValue("attempt", attempt).addKeyValue("error", String.valueOf(failure.getMessage()))
              .log("outcome not known yet; will ask again");
          return Future.succeededFuture(false);
        })
        .compose(done -> done ? Future.<Void>succeededFuture() : later(b, attempt + 1));
  }

  private Future<Void> later(Branch b, int attempt) {
    return vertx.timer(backoff.delay(attempt - 1).toMillis()).compose(v -> attempt(b, attempt));
  }

  public int inDoubt() {
    return waiting.size();
  }

  /** Stops asking; also unregisters the gauge, which would otherwise keep reporting this (closed) resolver. */
  public void close() {
    closed = true;
    registry.remove(gauge);
  }
}
