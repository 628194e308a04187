package io.pledge.coordinator.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.common.durable.DurableStore;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Child process of {@link TxLogCrashIT}: forces commit records as fast as it can, 64 in flight, and prints
 * {@code ACK <sequence>} for each one the log acknowledged, until it is killed.
 */
public final class ForcedWriterMain {

  public static void main(String[] args) throws Exception {
    H2TxLog log = H2TxLog.open(Path.of(args[0]), 256, DurableStore.DEFAULT_COMMIT_DELAY,
        new SimpleMeterRegistry(), System::currentTimeMillis);
    long epoch = log.nextEpoch().toCompletableFuture().get();
    List<Participant> participants = List.of(new Participant("a", "127.0.0.1:1"), new Participant("b", "127.0.0.1:2"));
    Semaphore inFlight = new Semaphore(64);
    System.out.println("WRITING epoch=" + epoch);
    System.out.flush();
    for (long seq = 1; ; seq++) {
      inFlight.acquire();
      TxId id = new TxId("coord-0", epoch, seq);
      long s = seq;
      log.writeIntent(id, participants, false, Long.MAX_VALUE)
          .thenCompose(v -> log.forceCommit(id, participants))
          .whenComplete((v, failure) -> {
            if (failure == null) {
              synchronized (System.out) {
                System.out.println("ACK " + s);
                System.out.flush();
              }
            }
            inFlight.release();
          });
    }
  }
}
