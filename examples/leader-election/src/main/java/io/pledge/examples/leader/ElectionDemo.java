package io.pledge.examples.leader;

import io.pledge.common.config.Config;
import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The scenario behind {@link ElectionDemoMain}: a lock-service member and the ledger in this JVM, workers in their own
 * JVMs. The first leader writes for a while and is killed with {@code kill -9}; once its lease has run out another
 * worker takes over with a higher token. That leader is frozen with {@code SIGSTOP}; its lease runs out, a third worker
 * takes over and writes, and then the frozen one is thawed: it still believes it leads, writes with its old token, and
 * the ledger rejects it. Then every worker is stopped and the ledger is audited ({@link ElectionAudit}).
 */
public final class ElectionDemo {

  /** Attempts at catching the leader between two writes when freezing it (see {@link #freezeTheLeader}). */
  private static final int FREEZE_ATTEMPTS = 3;

  private final DemoOptions options;
  private final PrintStream out;
  private final LedgerServer ledger;
  private final WorkerFleet fleet;
  private final List<Rejection> rejections;
  private final List<String> failures = new ArrayList<>();

  /** What the run showed, for the summary and for tests. */
  public record Result(boolean ok, ElectionAudit audit, List<WorkerEvent.Elected> elected,
      WorkerEvent.Elected killed, WorkerEvent.Elected afterKill, WorkerEvent.Elected frozen,
      WorkerEvent.Elected afterFreeze, Rejection lateWrite, List<String> failures) {}

  private ElectionDemo(DemoOptions options, PrintStream out, LedgerServer ledger, WorkerFleet fleet,
      List<Rejection> rejections) {
    this.options = options;
    this.out = out;
    this.ledger = ledger;
    this.fleet = fleet;
    this.rejections = rejections;
  }

  /** Runs the whole scenario; blocking (call it from a main or test thread). */
  public static Result run(DemoOptions options, Path dir, PrintStream out) throws Exception {
    out.printf("Pledge leader-election demo: %d workers compete for one lock (lease %s); data and logs in %s%n",
        options.workers(), WorkerMain.format(options.lease()), dir);
    int hzPort = options.hazelcastPort() == 0 ? freePort() : options.hazelcastPort();
    Vertx vertx = Vertx.vertx();
    // Hazelcast member in a cluster of its own: never joins someone else's on this machine.
    try (LockServer locks = LockServer.start(Config.of(LockServiceOptions.ALL,
        LockServiceOptions.loopbackMember(hzPort, "pledge-election-" + UUID.randomUUID())))) {
      List<Rejection> rejections = new CopyOnWriteArrayList<>();
      LedgerServer ledger = LedgerServer.start(vertx, new LedgerOptions("127.0.0.1", 0, dir.resolve("ledger"),
          "leader/ledger"), r -> {
            rejections.add(r);
            out.println(r.line());
          }).await(60, TimeUnit.SECONDS);
      try {
        Endpoint lockEndpoint = new Endpoint("127.0.0.1", locks.grpcPort());
        Endpoint ledgerEndpoint = new Endpoint("127.0.0.1", ledger.port());
        out.printf("lock service on %s, ledger on http://%s (lock %s)%n", lockEndpoint, ledgerEndpoint,
            ledger.ledger().lock());
        try (WorkerFleet fleet = WorkerFleet.start(options, lockEndpoint, ledgerEndpoint, dir, out)) {
          return new ElectionDemo(options, out, ledger, fleet, rejections).play();
        }
      } finally {
        ledger.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private Result play() throws Exception {
    WorkerEvent.Elected killed = null;
    WorkerEvent.Elected afterKill = null;
    WorkerEvent.Elected frozen = null;
    WorkerEvent.Elected afterFreeze = null;
    Rejection lateWrite = null;
    try {
      awaitLeaderAbove(0, "a first leader");
      pause(options.reign());

      killed = awaitLeaderAbove(0, "a leader");
      fleet.kill(killed.worker());
      long killedAt = System.nanoTime();
      out.printf("!! kill -9 %s (pid %d), the leader (token %d); nobody gets the lock before its lease (%s) runs out%n",
          killed.worker(), fleet.pid(killed.worker()), killed.token(), WorkerMain.format(options.lease()));
      afterKill = awaitLeaderAbove(killed.token(), "a new leader after the kill");
      out.printf("!! %s took over %.1f s after the kill, with token %d > %d%n", afterKill.worker(),
          (System.nanoTime() - killedAt) / 1e9, afterKill.token(), killed.token());
      pause(options.reign());

      for (int attempt = 1; attempt <= FREEZE_ATTEMPTS && lateWrite == null; attempt++) {
        frozen = awaitLeaderAbove(0, "a leader");
        afterFreeze = freezeTheLeader(frozen);
        if (afterFreeze == null) {
          out.printf("!! %s lost the lock by itself before it could be frozen; trying with the next leader%n",
              frozen.worker());
          continue;
        }
        lateWrite = awaitLateWrite(frozen);
        if (lateWrite == null && attempt < FREEZE_ATTEMPTS) {
          out.printf("!! %s noticed its lost lease before its next write: no late write to reject; freezing the"
              + " leader again%n", frozen.worker());
        }
      }
      if (lateWrite == null) {
        failures.add("no frozen leader wrote late in " + FREEZE_ATTEMPTS + " attempts");
      }
      pause(options.reign());
    } catch (ConditionTimeoutException e) {
      failures.add(e.getMessage());
    }
    out.println("!! stopping the workers (SIGTERM: each gives the lock back)");
    fleet.stopAll();
    return summary(killed, afterKill, frozen, afterFreeze, lateWrite);
  }

  /**
   * Freezes the leader just after one of its writes, so that it sleeps until its next one; waits until another worker
   * has taken over and written (the ledger has seen a higher token), and thaws it. Returns that new leader, or null
   * if the leader lost the lock by itself first (a CPU-starved worker can miss its renewals).
   */
  private WorkerEvent.Elected freezeTheLeader(WorkerEvent.Elected leader) {
    long writes = fleet.writes(leader);
    await("a write by " + leader.worker(), () -> fleet.writes(leader) > writes
        || !fleet.leader().equals(Optional.of(leader)));
    if (!fleet.leader().equals(Optional.of(leader))) {
      return null;
    }
    fleet.freeze(leader.worker());
    long frozenAt = System.nanoTime();
    out.printf("!! kill -STOP %s (pid %d), the leader (token %d): frozen like a long GC pause, it cannot renew its"
        + " lease%n", leader.worker(), fleet.pid(leader.worker()), leader.token());
    WorkerEvent.Elected next = awaitLeaderAbove(leader.token(), "a new leader while " + leader.worker()
        + " is frozen");
    out.printf("!! %s took over %.1f s after the freeze, with token %d > %d, and has written%n", next.worker(),
        (System.nanoTime() - frozenAt) / 1e9, next.token(), leader.token());
    fleet.thaw(leader.worker());
    out.printf("!! kill -CONT %s: it wakes up still believing it is the leader%n", leader.worker());
    return next;
  }

  /** The ledger's rejection of the thawed leader's write, or null if it found out by itself before writing. */
  private Rejection awaitLateWrite(WorkerEvent.Elected thawed) {
    await(thawed.worker() + " to write or to notice it lost the lock",
        () -> lateWrite(thawed).isPresent() || fleet.lost(thawed));
    return lateWrite(thawed).orElse(null);
  }

  private Optional<Rejection> lateWrite(WorkerEvent.Elected reign) {
    return rejections.stream().filter(r -> r.writer().equals(reign.worker()) && r.token() == reign.token())
        .findFirst();
  }

  /** A running leader with a token above {@code token} that the ledger has accepted a write from. */
  private WorkerEvent.Elected awaitLeaderAbove(long token, String what) {
    await(what, () -> fleet.leader().filter(l -> l.token() > token && ledger.ledger().highestToken() >= l.token())
        .isPresent());
    return fleet.leader().orElseThrow();
  }

  private void await(String what, java.util.concurrent.Callable<Boolean> condition) {
    Awaitility.await(what).atMost(options.stepTimeout()).pollInterval(Duration.ofMillis(50)).until(condition);
  }

  private Result summary(WorkerEvent.Elected killed, WorkerEvent.Elected afterKill, WorkerEvent.Elected frozen,
      WorkerEvent.Elected afterFreeze, Rejection lateWrite) throws Exception {
    ElectionAudit audit = ElectionAudit.of(ledger.ledger().entries().await(30, TimeUnit.SECONDS),
        ledger.ledger().rejections().await(30, TimeUnit.SECONDS));
    List<WorkerEvent.Elected> elected = fleet.events().stream().filter(e -> e instanceof WorkerEvent.Elected)
        .map(e -> (WorkerEvent.Elected) e).toList();
    for (ElectionAudit.Reign r : audit.reigns()) {
      if (elected.stream().noneMatch(e -> e.worker().equals(r.writer()) && e.token() == r.token())) {
        failures.add("the ledger holds writes of " + r.writer() + " with token " + r.token()
            + ", an election that worker never announced");
      }
    }
    out.println("---- summary ----");
    out.println("leaders elected: " + elected.stream().map(e -> e.worker() + " (token " + e.token() + ")")
        .collect(Collectors.joining(", ")));
    if (killed != null && afterKill != null) {
      out.printf("kill -9: %s (token %d) was followed by %s (token %d)%n", killed.worker(), killed.token(),
          afterKill.worker(), afterKill.token());
    }
    if (frozen != null && lateWrite != null) {
      out.printf("SIGSTOP: %s (token %d) was replaced by %s (token %d); its late write was rejected (token %d < %d)%n",
          frozen.worker(), frozen.token(), afterFreeze.worker(), afterFreeze.token(), lateWrite.token(),
          lateWrite.highest());
    }
    audit.lines().forEach(out::println);
    failures.forEach(f -> out.println("DEMO FAILED: " + f));
    boolean ok = audit.ok() && failures.isEmpty();
    return new Result(ok, audit, elected, killed, afterKill, frozen, afterFreeze, lateWrite, List.copyOf(failures));
  }

  private static void pause(Duration d) throws InterruptedException {
    // Pacing of the show, not a wait for a condition: each leader gets some writes in before the next act.
    TimeUnit.MILLISECONDS.sleep(d.toMillis());
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
