package io.pledge.coordinator.cluster;

import io.pledge.coordinator.protocol.CoordinatorException;
import io.pledge.coordinator.protocol.CoordinatorException.Code;
import io.pledge.coordinator.protocol.TransactionManagers;
import io.vertx.core.Vertx;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who serves on this node: {@link TransactionManagers} (one manager per event loop) exist only while this node leads
 * the Raft group, new ones per term. On becoming leader (its first entry of the term committed) new managers start
 * together, which is the restart recovery over the replicated log (one epoch record first: every earlier entry is
 * then applied here; each manager recovers its share). On losing the leadership (a higher term seen, or no majority
 * heard from) every manager stops at once: no phase-2 message, retry or timer of them runs again, and waiting
 * clients get UNAVAILABLE.
 *
 * <p>Polled on the coordinator's context every {@value #POLL_MS} ms: Ratis calls back on its own threads and does
 * not announce a step-down, and a poll keeps all of it on the one context that owns the managers.
 */
public final class Leadership {

  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
  static final long POLL_MS = 20;
  /** The status message token naming the leader's gRPC endpoint (also sent as the {@value #TRAILER} trailer). */
  public static final String HINT = "pledge-leader=";
  public static final String TRAILER = "pledge-leader";

  private final Vertx vertx;
  private final RaftNode node;
  private final Supplier<TransactionManagers> newManager;
  private final Consumer<TransactionManagers> onServing;
  /** Written on the coordinator's context; read by requests on any event loop. */
  private volatile TransactionManagers manager;
  private long managerTerm = -1;
  private long timer = -1;
  private long leaderChanges;

  /**
   * @param newManager managers over the replicated log, not yet started
   * @param onServing called on the context when new managers finished their recovery and serve
   */
  public Leadership(Vertx vertx, RaftNode node, Supplier<TransactionManagers> newManager,
      Consumer<TransactionManagers> onServing) {
    this.vertx = vertx;
    this.node = node;
    this.newManager = newManager;
    this.onServing = onServing;
  }

  /** Call on the coordinator's context. */
  public void start() {
    timer = vertx.setPeriodic(POLL_MS, t -> check());
    check();
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    stepDown("coordinator stopping");
  }

  private void check() {
    boolean leads = node.isLeaderReady();
    long term = node.term();
    if (manager != null && (!leads || term != managerTerm)) {
      stepDown(leads ? "a new term began" : "no longer the leader");
    }
    if (leads && manager == null) {
      leaderChanges++;
      TransactionManagers m = newManager.get();
      manager = m;
      managerTerm = term;
      LOG.atInfo().addKeyValue("node", node.nodeId()).addKeyValue("term", term).log("leading: recovering the log");
      m.start().onComplete(ar -> {
        if (manager != m) {
          return;
        }
        if (ar.succeeded()) {
          LOG.atInfo().addKeyValue("node", node.nodeId()).addKeyValue("term", term).addKeyValue("epoch", m.epoch())
              .log("leader serving");
          onServing.accept(m);
        } else {
          LOG.atWarn().addKeyValue("node", node.nodeId()).addKeyValue("term", term)
              .log("recovery as the new leader failed; trying again while leading: " + ar.cause().getMessage());
          m.stop();
          manager = null;
        }
      });
    }
  }

  private void stepDown(String why) {
    if (manager != null) {
      LOG.atInfo().addKeyValue("node", node.nodeId()).addKeyValue("term", managerTerm).log("stepped down: " + why);
      manager.stop();
      manager = null;
      managerTerm = -1;
    }
  }

  /** The managers when this node leads; null otherwise. */
  public TransactionManagers current() {
    return manager;
  }

  /** The managers, or UNAVAILABLE naming the leader (see {@link #notLeaderMessage}). */
  public TransactionManagers require() {
    TransactionManagers m = manager;
    if (m == null) {
      throw new CoordinatorException(Code.UNAVAILABLE, notLeaderMessage());
    }
    return m;
  }

  /** Documented in coordinator.proto: UNAVAILABLE, and where the leader is when this node knows it. */
  public String notLeaderMessage() {
    return node.leaderEndpoint().filter(e -> !node.isLeader())
        .map(e -> "this coordinator is not the leader of its cluster; " + HINT + e)
        .orElse("this coordinator is not the leader of its cluster and knows no leader yet; try another");
  }

  /** The leader's gRPC endpoint when known and not this node. */
  public java.util.Optional<String> leaderHint() {
    return node.isLeader() ? java.util.Optional.empty() : node.leaderEndpoint();
  }

  public long leaderChanges() {
    return leaderChanges;
  }

  public RaftNode node() {
    return node;
  }
}
