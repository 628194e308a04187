package io.pledge.coordinator.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.durable.DurableStore;
import io.pledge.coordinator.state.TxId;
import io.pledge.testkit.JvmProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link TxLog} contract under {@code kill -9}: a forced record whose future completed is in the log after the
 * process is killed at an arbitrary point. (H2's own defaults lose such rows: its write delay keeps commits in
 * memory for up to 500 ms.)
 */
class TxLogCrashIT {

  @TempDir
  Path dir;

  @RepeatedTest(3)
  void everyAcknowledgedForcedRecordSurvivesKill9() throws Exception {
    Path data = dir.resolve("log");
    long epoch;
    try (JvmProcess writer = JvmProcess.start("forced-writer", ForcedWriterMain.class.getName(),
        List.of(data.toString()), Map.of(), dir)) {
      String banner = writer.awaitLine(l -> l.startsWith("WRITING"), Duration.ofSeconds(60));
      epoch = Long.parseLong(banner.substring(banner.indexOf('=') + 1));
      writer.awaitLine(l -> l.equals("ACK 2000"), Duration.ofSeconds(60));
      writer.kill();
      Set<Long> acked = writer.lines().stream().filter(l -> l.startsWith("ACK "))
          .map(l -> Long.parseLong(l.substring(4))).collect(Collectors.toSet());
      assertTrue(acked.size() >= 2000);

      try (H2TxLog log = H2TxLog.open(data, 16, DurableStore.DEFAULT_COMMIT_DELAY, new SimpleMeterRegistry(),
          System::currentTimeMillis)) {
        Map<Long, LoggedTx> found = log.unfinished().toCompletableFuture().get().stream()
            .filter(t -> t.id().epoch() == epoch)
            .collect(Collectors.toMap(t -> t.id().sequence(), t -> t));
        for (long seq : acked) {
          LoggedTx tx = found.get(seq);
          assertTrue(tx != null, "acknowledged commit " + seq + " lost");
          assertEquals(LoggedTx.Kind.COMMIT, tx.kind(), "record " + seq);
          assertEquals(2, tx.participants().size(), "participants of " + seq);
        }
        assertTrue(log.find(new TxId("coord-0", epoch, 1)).toCompletableFuture().get().isPresent());
      }
    }
  }
}
