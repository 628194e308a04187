package io.pledge.admin;

import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.ListLocksResponse;
import io.pledge.api.v1.LockSummary;
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
      List<LockSummary> found;
      try (AdminClient client = admin.client()) {
        found = client.locks(admin.locks, prefix, limit);
      }
      admin.io().out().print(admin.json ? Format.json(ListLocksResponse.newBuilder().addAllLocks(found)) + "\n"
          : Format.locks(found, admin.io().clock().instant()));
      return 0;
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
      InspectLockResponse found;
      try (AdminClient client = admin.client()) {
        found = client.lock(admin.locks, name);
      }
      admin.io().out().print(admin.json ? Format.json(found) + "\n" : Format.lock(found, admin.io().clock().instant()));
      return 0;
    }
  }
}
