package io.pledge.bench.scenario;

import io.pledge.bench.sut.Launcher;
import io.pledge.bench.sut.Node;
import io.pledge.bench.sut.PromMetrics;
import io.pledge.bench.sut.Role;
import io.pledge.bench.sut.SystemUnderTest;
import io.pledge.bench.v1.BenchWorkGrpcClient;
import io.pledge.bench.v1.InfoReply;
import io.pledge.bench.v1.InfoRequest;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Servers someone else started: a coordinator, bench participants ({@code BenchParticipantMain}, which tell their
 * pid and ops port through {@code BenchWork.Info}) and optionally a lock service. Their settings are theirs: a
 * scenario's read-only or no-vote participants cannot be imposed, so the scenarios run with what is there. The
 * echo server of the ceiling scenario is still started locally.
 */
public final class ExternalDeployer implements Deployer {

  private final Vertx vertx;
  private final Endpoint coordinator;
  private final List<Endpoint> participants;
  private final Optional<Endpoint> locks;
  private final Optional<Node> coordinatorNode;
  private final Launcher echoLauncher;

  /**
   * @param coordinatorMetrics host:port of the coordinator's ops endpoint, to read its syncs
   * @param coordinatorPid its local process id, to read its CPU and memory
   */
  public ExternalDeployer(Vertx vertx, Endpoint coordinator, List<Endpoint> participants, Optional<Endpoint> locks,
      Optional<Endpoint> coordinatorMetrics, OptionalLong coordinatorPid, Launcher echoLauncher) {
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.participants = List.copyOf(participants);
    this.locks = locks;
    this.echoLauncher = echoLauncher;
    this.coordinatorNode = coordinatorMetrics.isEmpty() && coordinatorPid.isEmpty() ? Optional.empty()
        : Optional.of(new Node("coordinator", Role.COORDINATOR, coordinatorPid, coordinatorMetrics.map(m ->
            PromMetrics.scraping(URI.create("http://" + m + "/metrics"), PromMetrics.SYNCS))));
  }

  @Override
  public SystemUnderTest deploy(Scenario scenario) throws Exception {
    if (!scenario.setup().equals(Scenario.Setup.STANDARD)) {
      throw new IllegalStateException("scenario " + scenario.name() + " sets its servers up itself ("
          + scenario.setup() + "): it does not run against --coordinator's servers");
    }
    SystemUnderTest sut = new SystemUnderTest();
    switch (scenario.kind()) {
      case ECHO, ECHO_SESSION -> sut.echo(echoLauncher.echoServer().get());
      case NARAYANA -> { }
      case LOCKS -> sut.locks(locks.orElseThrow(() -> new IllegalStateException(
          "scenario " + scenario.name() + " needs --locks with --coordinator")));
      case DIRECT, PLEDGE -> {
        int n = scenario.participants().size();
        if (participants.size() < n) {
          throw new IllegalStateException("scenario " + scenario.name() + " needs " + n + " participants; "
              + "--participants names " + participants.size());
        }
        if (scenario.kind() == Scenario.Kind.PLEDGE) {
          sut.coordinator(coordinator);
          coordinatorNode.ifPresent(sut::measure);
        }
        GrpcClient client = GrpcTransport.client(vertx, new HttpClientOptions());
        try {
          for (Endpoint p : participants.subList(0, n)) {
            sut.participant(p);
            sut.measure(node(client, p));
          }
        } finally {
          client.close();
        }
      }
    }
    return sut;
  }

  private static Node node(GrpcClient client, Endpoint p) throws Exception {
    InfoReply info = Rpc.call(client, p.toSocketAddress(), BenchWorkGrpcClient.Info, InfoRequest.getDefaultInstance(),
        Duration.ofSeconds(10)).await(15, TimeUnit.SECONDS);
    boolean local = InetAddress.getByName(p.host()).isLoopbackAddress();
    return new Node(info.getName(), Role.PARTICIPANT, local ? OptionalLong.of(info.getPid()) : OptionalLong.empty(),
        Optional.of(PromMetrics.scraping(URI.create("http://" + p.host() + ":" + info.getOpsPort() + "/metrics"),
            PromMetrics.SYNCS)));
  }

  @Override
  public String description() {
    return "external servers: coordinator " + coordinator + ", participants " + participants
        + locks.map(l -> ", lock service " + l).orElse("") + " (their own settings)";
  }

  @Override
  public void close() {
    echoLauncher.close();
  }
}
