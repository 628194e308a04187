package io.pledge.coordinator;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.vertx.core.Vertx;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar pledge-coordinator.jar [--config FILE] [--key=value ...]}. Prints a line starting with
 * {@value #READY_BANNER} once recovery is done and requests are served.
 */
public final class CoordinatorMain {

  public static final String READY_BANNER = "PLEDGE-COORDINATOR READY";

  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorMain.class);

  private CoordinatorMain() {}

  public static void main(String[] args) throws Exception {
    Optional<Config> config = Cli.parse("pledge-coordinator", "The Pledge two-phase commit coordinator.",
        CoordinatorOptions.KEYS, args, System.getenv(), System.out, System.err);
    if (config.isEmpty()) {
      System.exit(Cli.exitCode(args));
      return;
    }
    Vertx vertx = Vertx.vertx();
    CoordinatorServer server;
    try {
      server = CoordinatorServer.start(vertx, config.get()).toCompletionStage().toCompletableFuture()
          .get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("pledge-coordinator: cannot start: " + cause.getMessage());
      LOG.debug("start failure", cause);
      vertx.close();
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        // Awaited one after the other from this plain thread: a listener chained onto vertx.close() would be
        // dispatched to an event loop that is already gone.
        server.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("unclean shutdown", e);
      }
    }, "pledge-coordinator-shutdown"));
    System.out.println(READY_BANNER + " node=" + server.nodeId() + " grpc=" + server.grpcPort() + " http="
        + server.httpPort());
    System.out.flush();
  }
}
