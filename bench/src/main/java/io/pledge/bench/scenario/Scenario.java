package io.pledge.bench.scenario;

import java.util.List;
import java.util.Objects;

/**
 * One line of the benchmark: what runs, against what.
 *
 * @param participants the participants of each transaction (PLEDGE, DIRECT, NARAYANA)
 * @param locks PLEDGE: every writing participant locks its key through the lock service
 * @param hotLocks LOCKS: 0 = every client its own lock (uncontended); n = all clients on n locks (contended)
 */
public record Scenario(String name, Kind kind, String description, List<Participant> participants, boolean locks,
    int hotLocks) {

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

  public Scenario {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    participants = List.copyOf(participants);
  }

  /**
   * Calls on loopback per transaction: Begin and Commit, per participant its work call and its Enlist, then
   * one-phase commit (one participant) or a Prepare per participant and a phase-2 Commit per yes voter; with locks,
   * an Acquire per writing participant and the coordinator's ReleaseAll. A no-coordinator transaction makes its n
   * work calls; a lock pair 2 calls; an echo 1. Narayana runs in one JVM: 0.
   */
  public int roundTrips() {
    int n = participants.size();
    int writers = (int) participants.stream().filter(p -> !p.readOnly()).count();
    return switch (kind) {
      case PLEDGE -> 2 + 2 * n + (n == 1 ? 1 : n + writers) + (locks ? writers + 1 : 0);
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
