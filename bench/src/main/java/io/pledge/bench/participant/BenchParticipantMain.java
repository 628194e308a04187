package io.pledge.bench.participant;

import io.pledge.common.grpc.Endpoint;
import io.pledge.common.ops.ServerMain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One bench participant in its own JVM. Prints {@value #READY_BANNER} {@code name= work= ops= pid=} once it
 * serves.
 */
@Command(name = "bench-participant", mixinStandardHelpOptions = true,
    description = "A Pledge bench participant: a counter store joined to transactions through the participant SDK.")
public final class BenchParticipantMain implements Callable<Integer> {

  public static final String READY_BANNER = "BENCH-PARTICIPANT READY";

  @Option(names = "--name", required = true, description = "participant id")
  String name;

  @Option(names = "--coordinator", required = true, description = "coordinator gRPC endpoint host:port")
  String coordinator;

  @Option(names = "--data-dir", required = true, description = "directory of the participant's H2 files")
  Path dataDir;

  @Option(names = "--vote-no", defaultValue = "0", description = "probability of a no vote (0..1)")
  double voteNo;

  @Option(names = "--read-only", description = "read the counter and vote read-only")
  boolean readOnly;

  @Option(names = "--locks", description = "lock service host:port: lock each transaction's key")
  String locks;

  @Option(names = "--coordinator-cluster", split = ",", paramLabel = "HOST:PORT",
      description = "every member of a coordinator cluster (Enlist and GetOutcome follow the leader)")
  List<String> coordinatorCluster = new ArrayList<>();

  @Option(names = "--postgres", paramLabel = "JDBC-URL",
      description = "keep the counters in this PostgreSQL database, through the SDK's XA adapter")
  String postgres;

  @Option(names = "--tls", paramLabel = "KEY=VALUE",
      description = "a tls.* setting (tls.cert, tls.key, tls.ca, tls.policy): mutual TLS on every endpoint")
  Map<String, String> tls = new LinkedHashMap<>();

  public static void main(String[] args) {
    int code = new CommandLine(new BenchParticipantMain()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() {
    BenchParticipantSettings settings = new BenchParticipantSettings(name, Endpoint.parse(coordinator), dataDir,
        voteNo, readOnly, Optional.ofNullable(locks).map(Endpoint::parse),
        coordinatorCluster.stream().map(Endpoint::parse).toList(), Optional.ofNullable(postgres), tls);
    ServerMain.run("bench-participant", vertx -> BenchParticipant.start(vertx, settings), BenchParticipant::close,
        p -> READY_BANNER + " name=" + p.name() + " work=" + p.workPort() + " ops=" + p.opsPort() + " pid="
            + ProcessHandle.current().pid());
    return 0;
  }
}
