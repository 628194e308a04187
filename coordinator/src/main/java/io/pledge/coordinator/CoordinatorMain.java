package io.pledge.coordinator;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.common.ops.ServerMain;
import java.util.Optional;

/**
 * {@code java -jar pledge-coordinator.jar [--config FILE] [--key=value ...]}. Prints a line starting with
 * {@value #READY_BANNER} once recovery is done and requests are served.
 */
public final class CoordinatorMain {

  public static final String READY_BANNER = "PLEDGE-COORDINATOR READY";

  private CoordinatorMain() {}

  public static void main(String[] args) throws Exception {
    Optional<Config> config = Cli.parse("pledge-coordinator", "The Pledge two-phase commit coordinator.",
        CoordinatorOptions.KEYS, args, System.getenv(), System.out, System.err);
    if (config.isEmpty()) {
      System.exit(Cli.exitCode(args));
      return;
    }
    ServerMain.run("pledge-coordinator", vertx -> CoordinatorServer.start(vertx, config.get()),
        CoordinatorServer::close, server -> READY_BANNER + " node=" + server.nodeId() + " grpc=" + server.grpcPort()
            + " http=" + server.httpPort());
  }
}
