package io.pledge.coordinator.cluster;

import io.pledge.common.durable.Durability;
import io.pledge.coordinator.cluster.LogRecord.Entry;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.log.H2TxLog;
import java.io.File;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.io.MD5Hash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis adapter around a node's H2 log: committed entries are decoded ({@link LogCodec}) and applied
 * ({@link EntryApplier}) in log order on the log's single writer; snapshots are the log's rows (protobuf, see
 * {@link H2TxLog#exportTo}), taken between two applies and named after the last applied term and index.
 *
 * <p>H2 writes here are not synced: the Raft log (synced by a majority before an entry commits) is what makes a
 * record durable. After a crash, Ratis replays the entries after its latest snapshot and {@link EntryApplier} skips
 * those H2 already holds.
 */
final class CoordinatorStateMachine extends BaseStateMachine {

  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorStateMachine.class);

  private static final String TMP_PREFIX = "tmp-";

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final H2TxLog h2;
  private final Map<String, String> leaderEndpoints = new ConcurrentHashMap<>();
  private final AtomicLong entriesApplied = new AtomicLong();
  private final AtomicLong snapshotsInstalled = new AtomicLong();

  CoordinatorStateMachine(H2TxLog h2) {
    this.h2 = h2;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    discardUnfinishedSnapshots(raftStorage.getStorageDir().getStateMachineDir());
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(() -> {
      SingleFileSnapshotInfo snapshot = storage.getLatestSnapshot();
      if (snapshot != null) {
        // H2 normally holds at least the snapshot's state (it was taken from it); a lost or wiped database is
        // behind, and then it is restored from the snapshot before the log after it is replayed. (A snapshot's
        // index may also count entries without records, so an up-to-date H2 is sometimes restored too: harmless,
        // the log after the snapshot is replayed over it either way.)
        long next = h2.transact(Durability.NONE, ops -> ops.meta(EntryApplier.NEXT_INDEX)).toCompletableFuture()
            .join();
        if (next <= snapshot.getIndex()) {
          restore(snapshot);
        }
        setLastAppliedTermIndex(snapshot.getTermIndex());
      }
    }, IOException.class);
  }

  /** Ratis pauses the state machine before it installs a snapshot from the leader, then calls reinitialize. */
  @Override
  public synchronized void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  @Override
  public synchronized void reinitialize() throws IOException {
    // A snapshot was installed from the leader (this node was too far behind for the log): it replaces H2.
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    if (snapshot != null) {
      restore(snapshot);
      setLastAppliedTermIndex(snapshot.getTermIndex());
      snapshotsInstalled.incrementAndGet();
    }
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /**
   * A snapshot is written to a temporary file, moved to its name, then given its MD5 file, and only then announced
   * to Ratis (which may then purge the log before it). A crash before the MD5 file leaves a snapshot that must not
   * be restored from (a partial one would empty the log): it and any temporary file are removed at start.
   */
  private static void discardUnfinishedSnapshots(File dir) throws IOException {
    File[] files = dir.listFiles();
    if (files == null) {
      return;
    }
    for (File f : files) {
      boolean unfinished = f.getName().startsWith(TMP_PREFIX) || (SimpleStateMachineStorage.SNAPSHOT_REGEX
          .matcher(f.getName()).matches() && !new File(dir, f.getName() + ".md5").exists());
      if (unfinished) {
        LOG.atWarn().addKeyValue("file", f).log("removing a snapshot left unfinished by a crash");
        java.nio.file.Files.deleteIfExists(f.toPath());
      }
    }
  }

  private void restore(SingleFileSnapshotInfo snapshot) throws IOException {
    File file = snapshot.getFile().getPath().toFile();
    MD5Hash md5 = snapshot.getFile().getFileDigest();
    if (md5 == null) {
      md5 = MD5FileUtil.readStoredMd5ForFile(file);
    }
    MD5FileUtil.verifySavedMD5(file, md5);
    LOG.atInfo().addKeyValue("snapshot", file).log("restoring the H2 log from a snapshot");
    h2.importFrom(file.toPath()).toCompletableFuture().join();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto logEntry = trx.getLogEntry();
    long index = logEntry.getIndex();
    Entry entry;
    try {
      entry = LogCodec.decode(logEntry.getStateMachineLogEntry().getLogData().toByteArray());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    entry.records().forEach(r -> {
      if (r instanceof NewEpoch epoch) {
        leaderEndpoints.put(epoch.leaderId(), epoch.leaderEndpoint());
      }
    });
    // Queued before the applied index moves: a snapshot that reads the index queues its export behind this work.
    CompletableFuture<Message> applied = h2.transact(Durability.WRITTEN, ops -> EntryApplier.apply(ops, index, entry))
        .toCompletableFuture()
        .thenApply(results -> Message.valueOf(ByteString.copyFrom(LogCodec.encodeReply(results))));
    updateLastAppliedTermIndex(logEntry.getTerm(), index);
    entriesApplied.incrementAndGet();
    return applied;
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    File tmp = new File(file.getParentFile(), TMP_PREFIX + file.getName());
    try {
      // The export queues behind every apply submitted so far: it is H2 exactly as of the last applied index.
      h2.exportTo(tmp.toPath()).toCompletableFuture().join();
    } catch (CompletionException e) {
      throw new IOException("snapshot of the H2 log to " + tmp + " failed", e.getCause());
    }
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp.toPath(),
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    java.nio.file.Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    LOG.atInfo().addKeyValue("term", last.getTerm()).addKeyValue("index", last.getIndex()).log("snapshot taken");
    return last.getIndex();
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public void close() {
    // H2 belongs to the RaftNode, which closes it after the server.
  }

  /** The gRPC endpoint a leader announced in its epoch record. */
  Optional<String> endpointOf(String peerId) {
    return Optional.ofNullable(leaderEndpoints.get(peerId));
  }

  long entriesApplied() {
    return entriesApplied.get();
  }

  long snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

}
