package io.pledge.admin;

import io.pledge.api.v1.ListLocksResponse;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pledge-admin locks list | show}: the lock service's locks. */
@Command(name = "locks", mixinStandardHelpOptions = true, description = "List and show the lock service's locks.",
    subcommands = {LockCommands.ListLocks.class, LockCommands.ShowLock.class})
final class LockCommands implements Runnable {

  @ParentCommand
  AdminCli admin;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is needed: list or show");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Locks held or awaited, in name order, with holders and the number of"
      + " waiters. Leases are shown as stored: one past its end shows until the lock is next touched.")
  static final class ListLocks implements Callable<Integer> {
    @ParentCommand
    LockCommands locks;

    @Spec
    CommandSpec spec;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "only names starting with P")
    String prefix;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
        description = "at most this many (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    public Integer call() {
      TxCommands.checkLimit(spec, limit);
      AdminCli admin = locks.admin;
      return admin.show(client -> client.locks(admin.locks, prefix, limit),
          found -> ListLocksResponse.newBuilder().addAllLocks(found), Format::locks);
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One lock: holders (owner, mode, fencing token, hold count, lease),"
      + " waiters, last fencing token and lock-delay. Ended leases are ended first.")
  static final class ShowLock implements Callable<Integer> {
    @ParentCommand
    LockCommands locks;

    @Parameters(paramLabel = "NAME", description = "the lock's name")
    String name;

    @Override
    public Integer call() {
      AdminCli admin = locks.admin;
      return admin.show(client -> client.lock(admin.locks, name), found -> found, Format::lock);
    }
  }
}
