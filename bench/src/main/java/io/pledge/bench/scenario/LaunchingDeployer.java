package io.pledge.bench.scenario;

import io.pledge.bench.participant.BenchParticipantSettings;
import io.pledge.bench.sut.Launcher;
import io.pledge.bench.sut.SystemUnderTest;
import io.pledge.common.grpc.Endpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Starts a fresh system for every scenario (fresh logs, fresh JVMs: one scenario's state and memory never leak
 * into the next), independent servers together.
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
    try {
      switch (scenario.kind()) {
        case ECHO, ECHO_SESSION -> sut.echo(launcher.echoServer().get());
        case LOCKS -> sut.locks(launcher.lockService().get());
        case NARAYANA -> { } // in the client's JVM: the workload starts it
        case DIRECT -> participants(sut, scenario, NO_COORDINATOR, Optional.empty());
        case PLEDGE -> {
          Optional<Endpoint> locks = Optional.empty();
          if (scenario.locks()) {
            sut.locks(launcher.lockService().get());
            locks = sut.locks();
          }
          sut.coordinator(launcher.coordinator(locks).get());
          participants(sut, scenario, sut.coordinator().orElseThrow(), locks);
        }
      }
      return sut;
    } catch (Exception | Error e) {
      sut.close();
      throw e;
    }
  }

  private void participants(SystemUnderTest sut, Scenario scenario, Endpoint coordinator, Optional<Endpoint> locks)
      throws Exception {
    List<CompletableFuture<io.pledge.bench.sut.Launcher.Started>> starting = new ArrayList<>();
    for (int i = 0; i < scenario.participants().size(); i++) {
      Scenario.Participant p = scenario.participants().get(i);
      String name = "p" + (i + 1);
      starting.add(launcher.participant(new BenchParticipantSettings(name, coordinator,
          dataDir.resolve(scenario.name()).resolve(name), p.voteNo(), p.readOnly(),
          p.readOnly() ? Optional.empty() : locks)));
    }
    Exception failure = null;
    for (CompletableFuture<io.pledge.bench.sut.Launcher.Started> f : starting) {
      try {
        sut.participant(f.get());
      } catch (Exception e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
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
