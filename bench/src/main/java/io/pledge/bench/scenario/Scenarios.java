package io.pledge.bench.scenario;

import io.pledge.bench.scenario.Scenario.Kind;
import io.pledge.bench.scenario.Scenario.Participant;
import io.pledge.bench.scenario.Scenario.Setup;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The standard benchmark's scenarios, in the order they run. */
public final class Scenarios {

  /** The scenario the throughput/latency curve and the baseline ratios are about. */
  public static final String HEADLINE = "2p";

  private static final Participant W = Participant.WRITER;

  public static final List<Scenario> ALL = List.of(
      new Scenario("echo", Kind.ECHO, "loopback gRPC ceiling: trivial unary echo between two JVMs", List.of(), false,
          0),
      new Scenario("echo-session", Kind.ECHO_SESSION, "loopback ceiling of a call session: the same echo as a frame",
          List.of(), false, 0),
      new Scenario("direct-2p", Kind.DIRECT, "baseline: 2 participants commit locally (1 forced write each),"
          + " no coordinator", List.of(W, W), false, 0),
      new Scenario("narayana-2p", Kind.NARAYANA, "baseline: Narayana JTA in one JVM, 2 XA resources forcing at"
          + " prepare", List.of(W, W), false, 0),
      new Scenario("1p", Kind.PLEDGE, "1 participant: one-phase commit", List.of(W), false, 0),
      new Scenario(HEADLINE, Kind.PLEDGE, "2 participants: two-phase commit", List.of(W, W), false, 0),
      new Scenario("5p", Kind.PLEDGE, "5 participants: two-phase commit", Collections.nCopies(5, W), false, 0),
      new Scenario("2p-readonly", Kind.PLEDGE, "2 participants, one of them read-only", List.of(W,
          Participant.READER), false, 0),
      new Scenario("2p-locks", Kind.PLEDGE, "2 participants, each locking its key through the lock service",
          List.of(W, W), true, 0),
      new Scenario("2p-no10", Kind.PLEDGE, "2 participants, one votes no 10% of the time", List.of(
          new Participant(0.10, false), W), false, 0),
      new Scenario("2p-postgres", Kind.PLEDGE, "2p, the participants on PostgreSQL through the SDK's XA adapter"
          + " (pooled XA connections, PREPARE TRANSACTION)", List.of(W, W), false, 0, Setup.postgres()),
      new Scenario("2p-tls", Kind.PLEDGE, "2p with mutual TLS 1.3 on every server and client", List.of(W, W), false,
          0, Setup.tlsOn()),
      new Scenario("2p-cluster", Kind.PLEDGE, "2p on a 3-member coordinator cluster (Raft), each member its own JVM",
          List.of(W, W), false, 0, Setup.cluster(3, 0)),
      new Scenario("2p-cluster-failover", Kind.PLEDGE, "2p-cluster under load while the leader is killed (kill -9)"
          + " 5 times, restarted after each: failover = kill to the next committed transaction", List.of(W, W),
          false, 0, Setup.cluster(3, 5)),
      new Scenario("locks-uncontended", Kind.LOCKS, "lock service: acquire+release, every client its own lock",
          List.of(), false, 0),
      new Scenario("locks-uncontended-tls", Kind.LOCKS, "locks-uncontended with mutual TLS 1.3", List.of(), false, 0,
          Setup.tlsOn()),
      new Scenario("locks-contended", Kind.LOCKS, "lock service: acquire+release, all clients on 4 hot locks",
          List.of(), false, 4));

  private static final Map<String, Scenario> BY_NAME =
      ALL.stream().collect(Collectors.toMap(Scenario::name, Function.identity()));

  private Scenarios() {}

  /** The named scenarios in the standard order; an unknown name fails with the list of known ones. */
  public static List<Scenario> select(List<String> names) {
    for (String n : names) {
      if (!BY_NAME.containsKey(n)) {
        throw new IllegalArgumentException("unknown scenario '" + n + "'; known: "
            + ALL.stream().map(Scenario::name).collect(Collectors.joining(", ")));
      }
    }
    return ALL.stream().filter(s -> names.contains(s.name())).toList();
  }
}
