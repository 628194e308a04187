package io.pledge.admin;

import io.pledge.api.v1.ClusterMember;
import io.pledge.api.v1.ClusterStatusResponse;
import io.pledge.api.v1.TransferLeaderResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pledge-admin cluster status | transfer-leader}: a coordinator cluster's members, through its leader. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "A coordinator cluster: its members and their lag, and handing the leadership over.",
    subcommands = {ClusterCommands.Status.class, ClusterCommands.TransferLeader.class})
final class ClusterCommands implements Runnable {

  @ParentCommand
  AdminCli admin;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is needed: status or transfer-leader");
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "The members as the leader sees them: leader, term, commit index, each member's lag.")
  static final class Status implements Callable<Integer> {
    @ParentCommand
    ClusterCommands cluster;

    @Override
    public Integer call() {
      AdminCli admin = cluster.admin;
      return admin.show(client -> client.clusterStatus(admin.coordinator), found -> found, (s, now) -> text(s));
    }

    static String text(ClusterStatusResponse s) {
      StringBuilder b = new StringBuilder();
      b.append("leader ").append(s.getLeaderId()).append("  term ").append(s.getTerm()).append("  epoch ")
          .append(s.getEpoch()).append("  commit index ").append(s.getCommitIndex()).append("  applied ")
          .append(s.getAppliedIndex()).append('\n');
      b.append(String.format("%-12s %-24s %-8s %12s %8s %14s%n", "MEMBER", "RAFT ADDRESS", "ROLE", "MATCH INDEX",
          "LAG", "LAST CONTACT"));
      for (ClusterMember m : s.getMembersList()) {
        b.append(String.format("%-12s %-24s %-8s %12s %8s %14s%n", m.getId(), m.getRaftAddress(),
            m.getLeader() ? "leader" : "follower", m.getMatchIndex() < 0 ? "?" : Long.toString(m.getMatchIndex()),
            m.getLag() < 0 ? "?" : Long.toString(m.getLag()), m.getLeader() ? "-" : m.getLastContactMs() + " ms"));
      }
      return b.toString();
    }
  }

  @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
      description = "Hands the leadership to MEMBER (Raft leadership transfer); returns once it leads.")
  static final class TransferLeader implements Callable<Integer> {
    @ParentCommand
    ClusterCommands cluster;

    @Parameters(paramLabel = "MEMBER", description = "the member's id in cluster.peers")
    String member;

    @Override
    public Integer call() {
      AdminCli admin = cluster.admin;
      return admin.show(client -> client.transferLeader(admin.coordinator, member), found -> found,
          (TransferLeaderResponse r, java.time.Instant now) -> "leader is now " + r.getLeaderId() + "\n");
    }
  }
}
