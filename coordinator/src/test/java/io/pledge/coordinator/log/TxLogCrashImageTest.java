package io.pledge.coordinator.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.durable.Durability;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's log as {@code kill -9} leaves it right after a commit decision was acknowledged: the file image
 * taken then (the page cache a restarted process reads) must hold every acknowledged COMMIT. Sparse decisions with
 * H2 reusing space at once: the window in which H2's quick recovery reopened an older version (issue 11; see
 * {@code H2Recovery}). On the old code most images lost the last decisions; the chaos run lost 8 acknowledged ones.
 */
class TxLogCrashImageTest {

  @TempDir
  Path dir;

  @Test
  void everyAcknowledgedCommitDecisionIsInTheImageTakenRightAfterIt() throws Exception {
    List<Participant> participants = List.of(new Participant("a", "127.0.0.1:1"), new Participant("b", "127.0.0.1:2"));
    List<Path> images = new ArrayList<>();
    long epoch;
    try (H2TxLog log = H2TxLog.open(dir.resolve("live"), 64, Duration.ZERO, new SimpleMeterRegistry(),
        System::currentTimeMillis)) {
      log.store().submit(Durability.NONE, c -> {
        try (Statement s = c.createStatement()) {
          s.execute("SET RETENTION_TIME 0");
        }
        return null;
      }).get(10, TimeUnit.SECONDS);
      epoch = log.nextEpoch().toCompletableFuture().get(10, TimeUnit.SECONDS);
      for (long seq = 1; seq <= 40; seq++) {
        TxId id = new TxId("coord-0", epoch, seq);
        log.writeIntent(id, participants, false, Long.MAX_VALUE).toCompletableFuture().get(10, TimeUnit.SECONDS);
        log.forceCommit(id, participants).toCompletableFuture().get(10, TimeUnit.SECONDS);
        if (seq % 3 == 0) {
          // Some finish, as in a real run: ENDs free the space that later chunks reuse.
          log.writeEnd(new TxId("coord-0", epoch, seq - 1), io.pledge.coordinator.state.Outcome.COMMITTED, null)
              .toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        Path image = Files.createDirectories(dir.resolve("image-" + seq));
        Files.copy(dir.resolve("live").resolve("coordinator-log.mv.db"), image.resolve("coordinator-log.mv.db"),
            StandardCopyOption.REPLACE_EXISTING);
        images.add(image);
      }
    }
    List<String> lost = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      long acked = i + 1;
      try (H2TxLog reopened = H2TxLog.open(images.get(i), 16, Duration.ZERO, new SimpleMeterRegistry(),
          System::currentTimeMillis)) {
        for (long seq = 1; seq <= acked; seq++) {
          Optional<LoggedTx> tx = reopened.find(new TxId("coord-0", epoch, seq)).toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
          if (tx.isEmpty() || tx.get().kind() == LoggedTx.Kind.INTENT) {
            lost.add("image " + acked + ": the acknowledged commit of " + seq + " reads " + tx.map(LoggedTx::kind));
            break;
          }
        }
      }
    }
    assertEquals(List.of(), lost);
  }
}
