package io.pledge.bench.scenario;

import java.util.List;
import java.util.Objects;

/**
 * One line of the benchmark: what runs, against what.
 *
 * @param participants the participants of each transaction (PLEDGE, DIRECT, NARAYANA)
 * @param locks PLEDGE: every writing participant locks its key through the lock service
 * @param hotLocks LOCKS: 0 = every client its own lock (uncontended); n = all clients on n locks (contended)
 * @param setup how the servers are set up: store, TLS, coordinator cluster ({@link Setup#STANDARD} for most)
 */
public record Scenario(String name, Kind kind, String description, List<Participant> participants, boolean locks,
    int hotLocks, Setup setup) {

  public enum Kind {
    /** Transactions through the Pledge coordinator. */
    PLEDGE,
    /** Baseline (a): the same work, each participant committing locally with one forced write, no coordinator. */
    DIRECT,
    /** Baseline (b): Narayana's JTA transaction manager in one JVM, XA resources on the same stores. */
    NARAYANA,
    /** The loopback gRPC ceiling: a trivial unary call between two JVMs. */
    ECHO,
    /** The same call as a frame on a call session, as Pledge's own calls travel. */
    ECHO_SESSION,
    /** The lock service alone: acquire + release pairs through the lock client. */
    LOCKS
  }

  /** How one participant behaves: a probability of voting no, or read-only. */
  public record Participant(double voteNo, boolean readOnly) {
    public static final Participant WRITER = new Participant(0, false);
    public static final Participant READER = new Participant(0, true);
  }

  /**
   * How the system under test is set up, beyond who takes part.
   *
   * @param store where the participants keep their counters
   * @param tls mutual TLS on every server and client of the scenario (a throwaway CA made for it), with the role
   *     policy of docs/security.md
   * @param coordinators 1, or the members of a coordinator cluster (Raft), each in its own JVM
   * @param leaderKills PLEDGE on a cluster: instead of a plain window, kill the leader ({@code kill -9}) this many
   *     times under load, restarting it after each, and measure each failover (kill to the next committed
   *     transaction)
   */
  public record Setup(Store store, boolean tls, int coordinators, int leaderKills) {
    public static final Setup STANDARD = new Setup(Store.H2, false, 1, 0);

    public Setup {
      Objects.requireNonNull(store, "store");
      if (coordinators != 1 && coordinators != 3 && coordinators != 5) {
        throw new IllegalArgumentException("a coordinator cluster has 3 or 5 members (or 1: no cluster), got "
            + coordinators);
      }
      if (leaderKills < 0 || (leaderKills > 0 && coordinators == 1)) {
        throw new IllegalArgumentException("leader kills need a coordinator cluster");
      }
    }

    public static Setup tlsOn() {
      return new Setup(Store.H2, true, 1, 0);
    }

    public static Setup postgres() {
      return new Setup(Store.POSTGRES, false, 1, 0);
    }

    public static Setup cluster(int coordinators, int leaderKills) {
      return new Setup(Store.H2, false, coordinators, leaderKills);
    }
  }

  /** A participant's store. */
  public enum Store {
    /** The bench's own counter store on an H2 file, with the SDK's participant log (KvResource). */
    H2,
    /**
     * PostgreSQL through the SDK's XA adapter (XaResourceManager over an Agroal XaPool): one embedded server, a
     * database per participant; a branch prepares with PREPARE TRANSACTION.
     */
    POSTGRES
  }

  public Scenario {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(setup, "setup");
    participants = List.copyOf(participants);
  }

  public Scenario(String name, Kind kind, String description, List<Participant> participants, boolean locks,
      int hotLocks) {
    this(name, kind, description, participants, locks, hotLocks, Setup.STANDARD);
  }

  /**
   * Calls on loopback per transaction by construction, on the short path and with nothing batched: Commit, per
   * participant its work call, then one-phase commit (one participant) or a Prepare per participant and a phase-2
   * Commit per yes voter; with locks, an Acquire per writing participant and the coordinator's ReleaseAll (the long
   * path adds Begin and an Enlist per participant). What a run measured is {@link ScenarioResult#measuredCalls}. A
   * no-coordinator transaction makes its n work calls; a lock pair 2 calls; an echo 1. Narayana runs in one JVM: 0.
   */
  public int roundTrips() {
    int n = participants.size();
    int writers = (int) participants.stream().filter(p -> !p.readOnly()).count();
    return switch (kind) {
      case PLEDGE -> 1 + n + (n == 1 ? 1 : n + writers) + (locks ? writers + 1 : 0);
      case DIRECT -> n;
      case NARAYANA -> 0;
      case ECHO, ECHO_SESSION -> 1;
      case LOCKS -> 2;
    };
  }

  /**
   * Of {@link #roundTrips}, those made as unary gRPC calls: the bench service's own work calls (and the unary echo);
   * the rest are Pledge's, frames on call sessions.
   */
  public int unaryCalls() {
    return switch (kind) {
      case PLEDGE, DIRECT -> participants.size();
      case ECHO -> 1;
      case NARAYANA, ECHO_SESSION, LOCKS -> 0;
    };
  }
}
