package io.pledge.admin;

import io.pledge.admin.AdminCli.Refused;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.api.v1.Resolution;
import io.pledge.api.v1.ResolveRequest;
import io.pledge.api.v1.ResolveResponse;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.api.v1.TransactionState;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pledge-admin tx list | show | resolve}: the coordinator's transactions. */
@Command(name = "tx", mixinStandardHelpOptions = true, description = "List, show and resolve the coordinator's transactions.",
    subcommands = {TxCommands.ListTx.class, TxCommands.ShowTx.class, TxCommands.ResolveTx.class})
final class TxCommands implements Runnable {

  static final int MAX_LIMIT = 100_000;

  @ParentCommand
  AdminCli admin;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is needed: list, show or resolve");
  }

  /** The states {@code --state} accepts, as people write them. */
  enum StateArg {
    ACTIVE, PREPARING, PREPARED, COMMITTING, COMMITTED, ROLLING_BACK, ROLLED_BACK;

    TransactionState proto() {
      return TransactionState.valueOf("TRANSACTION_STATE_" + name());
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Transactions the coordinator holds in memory (unfinished ones and those"
      + " finished in the last minute), oldest first.")
  static final class ListTx implements Callable<Integer> {
    @ParentCommand
    TxCommands tx;

    @Spec
    CommandSpec spec;

    @Option(names = "--state", paramLabel = "STATE", split = ",",
        description = "only these states (repeat or separate with commas): ${COMPLETION-CANDIDATES}")
    List<StateArg> states = List.of();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
        description = "at most this many (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    public Integer call() {
      checkLimit(spec, limit);
      AdminCli admin = tx.admin;
      Set<TransactionState> filter = EnumSet.noneOf(TransactionState.class);
      states.forEach(s -> filter.add(s.proto()));
      return admin.show(client -> client.transactions(admin.coordinator, filter, limit),
          found -> ListTransactionsResponse.newBuilder().addAllTransactions(found), Format::transactions);
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One transaction: state, participants and their votes and acknowledgements,"
      + " abort reason, and what a resolution would do.")
  static final class ShowTx implements Callable<Integer> {
    @ParentCommand
    TxCommands tx;

    @Parameters(paramLabel = "TX_ID", description = "node:epoch:sequence")
    String txId;

    @Override
    public Integer call() {
      AdminCli admin = tx.admin;
      return admin.show(client -> client.transaction(admin.coordinator, txId), found -> found, Format::transaction);
    }
  }

  @Command(name = "resolve", mixinStandardHelpOptions = true, description = {
      "Resolves a stuck transaction by hand, after showing it and asking you to type its id (or --yes).",
      "--rollback aborts an undecided transaction (ACTIVE, PREPARING). --commit or --rollback, whichever the"
          + " transaction already decided, ends one stuck in phase 2 (COMMITTING, ROLLING_BACK): the participants"
          + " that did not acknowledge are forgotten, and making them apply the outcome is then yours to do.",
      "The coordinator refuses anything that could break atomicity: a commit without a commit record, or the"
          + " opposite of a decision."})
  static final class ResolveTx implements Callable<Integer> {
    @ParentCommand
    TxCommands tx;

    @Parameters(paramLabel = "TX_ID", description = "node:epoch:sequence")
    String txId;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Direction direction;

    static final class Direction {
      @Option(names = "--commit", required = true, description = "resolve to commit")
      boolean commit;

      @Option(names = "--rollback", required = true, description = "resolve to roll back")
      boolean rollback;
    }

    @Option(names = "--yes", description = "do not ask for confirmation (for scripts)")
    boolean yes;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "",
        description = "why, in your words (logged by the coordinator; the detail of a rollback)")
    String reason;

    @Override
    public Integer call() {
      AdminCli admin = tx.admin;
      AdminCli.Io io = admin.io();
      if (!yes && !io.interactive()) {
        throw new Refused("refusing to resolve " + txId + " without confirmation: standard input is not a terminal;"
            + " pass --yes to confirm non-interactively");
      }
      // People read the transaction and the prompt; with --json they go to stderr, so stdout stays JSON.
      PrintWriter human = admin.json ? io.err() : io.out();
      String verb = direction.commit ? "commit" : "roll back";
      try (AdminClient client = admin.client()) {
        TransactionInfo before = client.transaction(admin.coordinator, txId);
        human.print(Format.transaction(before, io.clock().instant()));
        human.println();
        if (!yes) {
          human.print("Type the transaction id to " + verb + " " + txId + " by hand: ");
          human.flush();
          String answer = readLine(io);
          if (answer == null || !answer.strip().equals(txId)) {
            throw new Refused("confirmation did not match " + txId + "; nothing was changed");
          }
        }
        ResolveResponse resolved = client.resolve(admin.coordinator, ResolveRequest.newBuilder().setTxId(txId)
            .setResolution(direction.commit ? Resolution.RESOLUTION_COMMIT : Resolution.RESOLUTION_ROLLBACK)
            .setReason(reason).build());
        if (admin.json) {
          io.out().println(Format.json(resolved));
        } else {
          io.out().println(summary(resolved, verb));
          io.out().println();
          io.out().print(Format.transaction(resolved.getTransaction(), io.clock().instant()));
        }
      }
      return 0;
    }

    private static String summary(ResolveResponse r, String verb) {
      String state = Format.state(r.getTransaction().getState());
      if (r.getForgottenCount() == 0) {
        return "Resolved: " + r.getTransaction().getTxId() + " is " + state
            + (Format.isDecided(r.getTransaction().getState()) && !r.getTransaction().getState().name().endsWith("ED")
                ? " (the participants are being told)" : "") + ".";
      }
      return "Resolved: " + r.getTransaction().getTxId() + " is " + state + ". Forgotten: "
          + String.join(", ", r.getForgottenList()) + " - the coordinator no longer tells them; make sure they "
          + verb + " (they still learn the outcome if they ask the coordinator).";
    }

    private static String readLine(AdminCli.Io io) {
      try {
        return io.in().readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static void checkLimit(CommandSpec spec, int limit) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new ParameterException(spec.commandLine(), "--limit must be 1.." + MAX_LIMIT + ", got " + limit);
    }
  }
}
