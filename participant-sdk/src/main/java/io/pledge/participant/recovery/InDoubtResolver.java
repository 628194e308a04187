package io.pledge.participant.recovery;

import io.pledge.common.retry.Backoff;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves prepared branches whose outcome did not arrive: those left by a restart, and those of a running
 * participant that heard nothing for the silence timeout (the coordinator may have restarted and presumed the
 * transaction aborted without telling anyone). For each one it asks the coordinator for the outcome, with capped
 * exponential backoff and jitter while the answer is PENDING, the coordinator is unreachable or applying the
 * answer fails (the database is down, refuses the credentials), and applies the definite answer through the same
 * path as the coordinator's own phase-2 calls. It stops as soon as the branch is no longer open (the
 * coordinator's phase 2 got there first). A prepared participant never decides alone (it has promised the
 * coordinator to obey), so there is no give-up timeout.
 *
 * <p>The number of branches still waiting is the gauge {@code pledge.participant.in_doubt}.
 */
public final class InDoubtResolver {

  private static final Logger LOG = LoggerFactory.getLogger(InDoubtResolver.class);

  /** What applying an outcome means: the engine's commit or rollback of the branch (idempotent). */
  public interface Apply {
    Future<Void> commit(String txId, String participantId);

    Future<Void> rollback(String txId, String participantId);

    /** Whether the branch still waits for its outcome here; once it does not, the resolver stops asking. */
    default Future<Boolean> open(String txId, String participantId) {
      return Future.succeededFuture(true);
    }
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
    return apply.open(b.txId(), b.participantId()).otherwise(true).compose(open -> !open ? Future.succeededFuture(true)
        : source.outcome(b.txId(), b.participantId())
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
        }))
        .compose(done -> done ? Future.<Void>succeededFuture() : later(b, attempt + 1));
  }

  private Future<Void> later(Branch b, int attempt) {
    return vertx.timer(backoff.jittered(attempt - 1, java.util.concurrent.ThreadLocalRandom.current()).toMillis())
        .compose(v -> attempt(b, attempt));
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
