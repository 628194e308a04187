package io.pledge.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bank test, Jepsen style, on the real servers as separate JVMs: transfers from careful and careless clients
 * while a seeded nemesis kills (kill -9) and freezes (SIGSTOP) the coordinator, the lock service and each bank, then
 * an audit of every acknowledged outcome (see {@link Audit}). CI runs the short schedule (two kills and one freeze
 * of each kind of process); {@code -Dpledge.chaos.long=true} runs the long one (52 faults), {@code
 * -Dpledge.chaos.seed=N} replays a seed. The seed is in the test's output and in the failure message.
 */
class BankChaosIT {

  @Test
  void everyAcknowledgedOutcomeHoldsUnderKillsAndFreezesOfEveryProcess() throws Exception {
    long seed = Long.getLong("pledge.chaos.seed", System.nanoTime() % 100_000);
    boolean longRun = Boolean.getBoolean("pledge.chaos.long");
    ChaosSettings settings = longRun ? ChaosSettings.longRun(seed) : ChaosSettings.ci(seed);
    System.out.println("chaos seed " + seed + (longRun ? " (long)" : ""));
    Path dir = Path.of("target", "chaos", "seed-" + seed).toAbsolutePath();
    ChaosRun.wipe(dir); // a replayed seed starts from nothing, as the audit's initial balances assume
    ChaosRun.Result result = ChaosRun.run(dir, settings);
    System.out.println(result.summary());

    assertTrue(result.ok(), result.summary());
    for (ChaosNode.Kind kind : ChaosNode.Kind.values()) {
      long kills = Nemesis.count(result.faults(), kind, Nemesis.Action.KILL);
      assertTrue(kills >= 2, "at least two kills of each kind of process, " + kind + " had " + kills);
    }
    long committed = result.history().stream().filter(t -> t.told() == Transfer.Told.COMMITTED).count();
    assertTrue(committed > 50, "transfers committed through the faults: " + committed);
    assertEquals(List.of(), result.audit().violations());
  }
}
