package io.pledge.examples.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's scenario with real processes: a lock-service member in this JVM (Hazelcast on 6110), the ledger, three
 * worker JVMs. A kill -9 of the leader hands leadership to another worker with a higher token once the lease is over;
 * a frozen (SIGSTOP) leader's late write is rejected by the ledger; the ledger's audit passes.
 */
class LeaderElectionIT {

  @TempDir
  Path dir;

  @Test
  void leadersFollowOneAnotherAndAFrozenOnesLateWriteIsRejected() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    ElectionDemo.Result r = ElectionDemo.run(DemoOptions.of(Map.of("lease", "2s", "write-every", "300ms",
        "reign", "1s", "hazelcast.port", "6110")), dir, console);
    String out = buffer.toString(StandardCharsets.UTF_8);

    assertTrue(r.ok(), out);
    // kill -9: someone else leads, with a higher token.
    assertNotNull(r.afterKill(), out);
    assertNotEquals(r.killed().worker(), r.afterKill().worker(), out);
    assertTrue(r.afterKill().token() > r.killed().token(), out);
    // SIGSTOP: the thawed leader wrote with its old token and was refused in favour of the new leader's.
    assertNotEquals(r.frozen().worker(), r.afterFreeze().worker(), out);
    assertEquals(r.frozen().worker(), r.lateWrite().writer(), out);
    assertEquals(r.frozen().token(), r.lateWrite().token(), out);
    assertTrue(r.lateWrite().highest() >= r.afterFreeze().token(), out);
    assertTrue(out.contains("ledger rejected stale write from " + r.frozen().worker() + " (token "
        + r.frozen().token() + " < "), out);
    assertTrue(out.contains(r.frozen().worker() + " lost leadership (token " + r.frozen().token() + ")"), out);
    // One leader at a time, as the ledger saw it: at least the three reigns, in rising token order, none interleaved.
    assertTrue(r.audit().ok(), out);
    List<ElectionAudit.Reign> reigns = r.audit().reigns();
    assertTrue(reigns.size() >= 3, out);
    for (int i = 1; i < reigns.size(); i++) {
      assertTrue(reigns.get(i).token() > reigns.get(i - 1).token(), out);
    }
    // Every election the workers announced carries a token of its own.
    assertEquals(r.elected().size(), r.elected().stream().map(WorkerEvent.Elected::token).distinct().count(), out);
    assertTrue(out.contains("LEDGER CHECK OK"), out);
  }
}
