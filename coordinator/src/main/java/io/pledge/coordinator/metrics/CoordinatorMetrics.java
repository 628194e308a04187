package io.pledge.coordinator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.TxState;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The coordinator's meters (Prometheus names: {@code pledge_transactions_begun_total},
 * {@code pledge_transactions_committed_total}, {@code pledge_transactions_aborted_total{cause}},
 * {@code pledge_commit_latency_seconds}, {@code pledge_prepare_latency_seconds{participant}},
 * {@code pledge_transactions{state}}, {@code pledge_transactions_in_doubt},
 * {@code pledge_operator_resolutions_total{outcome}}). The log's batch size and sync latency
 * are recorded by its store ({@code pledge_log_batch_size}, {@code pledge_log_sync_latency_seconds}).
 *
 * <p>Thread-safe: the managers of every event loop ({@code server.event-loops}) share one instance.
 */
public final class CoordinatorMetrics {

  private final MeterRegistry registry;
  private final Counter begun;
  private final Counter committed;
  private final Map<AbortCause, Counter> aborted = new EnumMap<>(AbortCause.class);
  private final Timer commitLatency;
  private final Map<String, Timer> prepareLatency = new ConcurrentHashMap<>();
  private final Map<TxState, AtomicLong> byState = new EnumMap<>(TxState.class);
  private final Counter phaseTwoRetries;
  private final Map<Outcome, Counter> operatorResolutions = new EnumMap<>(Outcome.class);

  /** Participants with a prepare-latency series of their own, unless given. */
  public static final int DEFAULT_MAX_PARTICIPANT_SERIES = 50;
  static final String OTHER = "other";

  private final int maxParticipantSeries;
  /** Phase-2 retry warnings: 20 lines per 10 s for the whole coordinator, whatever its event loops. */
  private final WarningBudget retryWarnings = new WarningBudget(20, 10_000_000_000L);

  public CoordinatorMetrics(MeterRegistry registry) {
    this(registry, DEFAULT_MAX_PARTICIPANT_SERIES);
  }

  /**
   * @param maxParticipantSeries participant ids are chosen by callers: the first this many get a series of their
   *     own, every later one shares {@code participant="other"}, so neither /metrics nor the map behind it grows
   *     with what callers send
   */
  public CoordinatorMetrics(MeterRegistry registry, int maxParticipantSeries) {
    this.registry = registry;
    this.maxParticipantSeries = maxParticipantSeries;
    begun = Counter.builder("pledge.transactions.begun").description("Transactions begun").register(registry);
    committed = Counter.builder("pledge.transactions.committed").description("Transactions committed")
        .register(registry);
    for (AbortCause cause : AbortCause.values()) {
      aborted.put(cause, Counter.builder("pledge.transactions.aborted").description("Transactions aborted, by cause")
          .tag("cause", cause.name().toLowerCase()).register(registry));
    }
    commitLatency = Timer.builder("pledge.commit.latency")
        .description("From a Commit request to its durable decision")
        .publishPercentiles(0.5, 0.9, 0.99, 0.999).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    phaseTwoRetries = Counter.builder("pledge.phase2.retries").description("Phase-2 messages sent again")
        .register(registry);
    for (Outcome outcome : new Outcome[] {Outcome.COMMITTED, Outcome.ABORTED}) {
      operatorResolutions.put(outcome, Counter.builder("pledge.operator.resolutions")
          .description("Transactions resolved by hand (CoordinatorAdmin.Resolve), by the outcome resolved to")
          .tag("outcome", outcome == Outcome.COMMITTED ? "commit" : "rollback").register(registry));
    }
    for (TxState state : TxState.values()) {
      if (!state.isFinished()) {
        AtomicLong count = new AtomicLong();
        byState.put(state, count);
        Gauge.builder("pledge.transactions", count, AtomicLong::get).description("Unfinished transactions, by state")
            .tag("state", state.name().toLowerCase()).register(registry);
      }
    }
    Gauge.builder("pledge.transactions.in.doubt", this, CoordinatorMetrics::inDoubt)
        .description("Transactions past ACTIVE and not yet finished: some participant may be prepared and waiting")
        .register(registry);
  }

  private double inDoubt() {
    return byState.entrySet().stream().filter(e -> e.getKey() != TxState.ACTIVE)
        .mapToLong(e -> e.getValue().get()).sum();
  }

  public void begun() {
    begun.increment();
  }

  /** Keeps the per-state gauges: call on every state change (from null for a new one, to a finished state). */
  public void moved(TxState from, TxState to) {
    if (from != null && byState.containsKey(from)) {
      byState.get(from).decrementAndGet();
    }
    if (to != null && byState.containsKey(to)) {
      byState.get(to).incrementAndGet();
    }
  }

  public void committed(long commitLatencyNanos) {
    committed.increment();
    if (commitLatencyNanos >= 0) {
      commitLatency.record(commitLatencyNanos, TimeUnit.NANOSECONDS);
    }
  }

  public void aborted(AbortCause cause, long commitLatencyNanos) {
    aborted.get(cause).increment();
    if (commitLatencyNanos >= 0) {
      commitLatency.record(commitLatencyNanos, TimeUnit.NANOSECONDS);
    }
  }

  public void prepared(String participantId, long nanos) {
    Timer timer = prepareLatency.get(participantId);
    (timer != null ? timer : series(participantId)).record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * A participant's first prepare: its own series while fewer than the bound exist, else "other". Managers on
   * several event loops call this at once: the check and the insert must be one step, or two new participants
   * could both see room for one. Taken once per participant, so the lock is off the hot path.
   */
  private Timer series(String participantId) {
    synchronized (prepareLatency) {
      Timer timer = prepareLatency.get(participantId);
      if (timer != null) {
        return timer;
      }
      String series = prepareLatency.size() < maxParticipantSeries ? participantId : OTHER;
      return prepareLatency.computeIfAbsent(series, id -> Timer.builder("pledge.prepare.latency")
          .description("Prepare round trip, per participant").tag("participant", id)
          .publishPercentiles(0.5, 0.99).register(registry));
    }
  }

  /** An operator's resolution took effect (refused ones are not counted). */
  public void operatorResolved(Outcome outcome) {
    operatorResolutions.get(outcome).increment();
  }

  public void phaseTwoRetry() {
    phaseTwoRetries.increment();
  }

  /** The coordinator-wide budget of phase-2 retry warnings (the retries themselves are all counted above). */
  public WarningBudget retryWarnings() {
    return retryWarnings;
  }
}
