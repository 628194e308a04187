package io.pledge.bench.scenario;

import io.pledge.bench.participant.BenchParticipantSettings;
import io.pledge.bench.sut.BenchPostgres;
import io.pledge.bench.sut.BenchTls;
import io.pledge.common.tls.ThrowawayPki;
import io.pledge.bench.sut.CoordinatorCluster;
import io.pledge.bench.sut.Launcher;
import io.pledge.bench.sut.Probe;
import io.pledge.bench.sut.SystemUnderTest;
import io.pledge.common.grpc.Endpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Starts a fresh system for every scenario (fresh logs, fresh JVMs: one scenario's state and memory never leak
 * into the next), independent servers together. The scenario's {@link Scenario.Setup} adds what it needs: a
 * PostgreSQL server, a throwaway CA and certificates for mutual TLS, a coordinator cluster.
 */
public final class LaunchingDeployer implements Deployer {

  /** What a participant with no coordinator is told: it only calls it to enlist, which the baseline never does. */
  private static final Endpoint NO_COORDINATOR = new Endpoint("127.0.0.1", 9);

  private final Launcher launcher;
  private final Path dataDir;

  public LaunchingDeployer(Launcher launcher, Path dataDir) {
    this.launcher = launcher;
    this.dataDir = dataDir;
  }

  @Override
  public SystemUnderTest deploy(Scenario scenario) throws Exception {
    SystemUnderTest sut = new SystemUnderTest();
    Scenario.Setup setup = scenario.setup();
    try {
      Optional<ThrowawayPki> tls = setup.tls() ? Optional.of(BenchTls.create(dataDir.resolve(scenario.name())
          .resolve("tls"))) : Optional.empty();
      tls.ifPresent(t -> sut.clientTls(BenchTls.client(t)));
      switch (scenario.kind()) {
        case ECHO, ECHO_SESSION -> sut.echo(launcher.echoServer().get());
        case LOCKS -> sut.locks(launcher.lockService(tls.map(t -> t.settings("lock-service", "lock-service"))
            .orElse(Map.of())).get());
        case NARAYANA -> { } // in the client's JVM: the workload starts it
        case DIRECT -> participants(sut, scenario, NO_COORDINATOR, Optional.empty(), tls);
        case PLEDGE -> {
          Optional<Endpoint> locks = Optional.empty();
          if (scenario.locks()) {
            sut.locks(launcher.lockService(tls.map(t -> t.settings("lock-service", "lock-service"))
                .orElse(Map.of())).get());
            locks = sut.locks();
          }
          if (setup.coordinators() > 1) {
            CoordinatorCluster cluster = launcher.coordinatorCluster(setup.coordinators(), Map.of()).get();
            sut.coordinatorCluster(cluster);
            // Per member; not across kills, where a restarted member's counters start again from 0.
            for (int i = 0; setup.leaderKills() == 0 && i < cluster.size(); i++) {
              sut.probe(new Probe("Raft log syncs, " + cluster.name(i), cluster.raftSyncs(i)));
            }
          } else {
            sut.coordinator(launcher.coordinator(locks, tls.map(t -> t.settings("coordinator", "coordinator"))
                .orElse(Map.of())).get());
          }
          participants(sut, scenario, sut.coordinator().orElseThrow(), locks, tls);
        }
      }
      return sut;
    } catch (Exception | Error e) {
      sut.close();
      throw e;
    }
  }

  private void participants(SystemUnderTest sut, Scenario scenario, Endpoint coordinator, Optional<Endpoint> locks,
      Optional<ThrowawayPki> tls) throws Exception {
    int n = scenario.participants().size();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add("p" + (i + 1));
    }
    Optional<BenchPostgres> postgres = Optional.empty();
    if (scenario.setup().store() == Scenario.Store.POSTGRES) {
      BenchPostgres pg = BenchPostgres.start(dataDir.resolve(scenario.name()).resolve("postgres"), names);
      // Stopped after the participants (stops run in reverse order of registration).
      sut.onClose(pg);
      postgres = Optional.of(pg);
    }
    List<CompletableFuture<Launcher.Started>> starting = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Scenario.Participant p = scenario.participants().get(i);
      String name = names.get(i);
      starting.add(launcher.participant(new BenchParticipantSettings(name, coordinator,
          dataDir.resolve(scenario.name()).resolve(name), p.voteNo(), p.readOnly(),
          p.readOnly() ? Optional.empty() : locks, sut.coordinators().size() > 1 ? sut.coordinators() : List.of(),
          postgres.map(pg -> pg.url(name)),
          tls.map(t -> t.settings(name, "participant/" + name)).orElse(Map.of()))));
    }
    Exception failure = null;
    for (CompletableFuture<Launcher.Started> f : starting) {
      try {
        sut.participant(f.get());
      } catch (Exception e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
    if (postgres.isPresent()) {
      BenchPostgres pg = postgres.get();
      for (String name : names) {
        sut.probe(new Probe("PostgreSQL sessions opened, database " + name, pg.sessions(name)));
        sut.probe(new Probe("XA pool connections opened, " + name, sut.participantMetric(name,
            "bench_xa_connections_opened_total")));
      }
      sut.probe(new Probe("PostgreSQL CPU ms (all its processes)", pg.cpuSeconds(), 1000));
    }
  }

  @Override
  public String description() {
    return launcher.description();
  }

  @Override
  public void close() {
    launcher.close();
  }
}
