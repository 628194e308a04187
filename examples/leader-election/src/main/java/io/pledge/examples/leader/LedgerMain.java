package io.pledge.examples.leader;

import io.pledge.common.config.Cli;
import io.pledge.common.ops.ServerMain;

/** The ledger on its own: {@code java -cp pledge-election-demo.jar io.pledge.examples.leader.LedgerMain}. */
public final class LedgerMain {

  private LedgerMain() {}

  public static void main(String[] args) {
    LedgerOptions options = Cli.optionsOrExit("ledger", "An append-only ledger that admits a write only with a"
        + " fencing token not below the highest it has seen.", LedgerOptions.KEYS, args, LedgerOptions::from);
    ServerMain.run("ledger", vertx -> LedgerServer.start(vertx, options, r -> System.out.println(r.line())), LedgerServer::close,
        s -> LedgerServer.READY_BANNER + " http=" + s.port() + " lock=" + options.lock());
  }
}
