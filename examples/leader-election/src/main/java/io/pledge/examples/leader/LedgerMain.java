package io.pledge.examples.leader;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.common.ops.ServerMain;
import java.util.Optional;

/** The ledger on its own: {@code java -cp pledge-election-demo.jar io.pledge.examples.leader.LedgerMain}. */
public final class LedgerMain {

  private LedgerMain() {}

  public static void main(String[] args) {
    Optional<Config> config = Cli.parse("ledger", "An append-only ledger that admits a write only with a fencing token"
        + " not below the highest it has seen.", LedgerOptions.KEYS, args, System.getenv(), System.out, System.err);
    if (config.isEmpty()) {
      System.exit(Cli.exitCode(args));
      return;
    }
    LedgerOptions options;
    try {
      options = LedgerOptions.from(config.get());
    } catch (IllegalArgumentException e) {
      System.err.println("ledger: " + e.getMessage());
      System.exit(2);
      return;
    }
    ServerMain.run("ledger", vertx -> LedgerServer.start(vertx, options, r -> System.out.println(r.line())), LedgerServer::close,
        s -> LedgerServer.READY_BANNER + " http=" + s.port() + " lock=" + options.lock());
  }
}
