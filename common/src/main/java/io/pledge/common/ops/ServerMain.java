package io.pledge.common.ops;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a server's {@code main} does once its settings are parsed: start on a fresh Vert.x, or say why not and exit
 * with 1; close cleanly on SIGTERM; print the ready line that scripts and tests wait for.
 */
public final class ServerMain {

  private static final Logger LOG = LoggerFactory.getLogger(ServerMain.class);

  private ServerMain() {}

  /**
   * @param start starts the server on the given Vert.x; its future completes when the server is ready
   * @param close closes the server (the Vert.x is closed after it)
   * @param readyLine the line printed to standard output once ready
   */
  public static <S> S run(String program, Function<Vertx, Future<S>> start, Function<S, Future<?>> close,
      Function<S, String> readyLine) {
    Vertx vertx = Vertx.vertx();
    S server;
    try {
      server = start.apply(vertx).toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println(program + ": cannot start: " + cause.getMessage());
      LOG.debug("start failure", cause);
      vertx.close();
      System.exit(1);
      return null;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        // Awaited one after the other from this plain thread: a listener chained onto vertx.close() would be
        // dispatched to an event loop that is already gone.
        close.apply(server).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("unclean shutdown of {}", program, e);
      }
    }, program + "-shutdown"));
    System.out.println(readyLine.apply(server));
    System.out.flush();
    return server;
  }
}
