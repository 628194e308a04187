package io.pledge.coordinator.log;

import io.micrometer.core.instrument.MeterRegistry;
import io.pledge.common.durable.Durability;
import io.pledge.common.durable.DurableStore;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * {@link TxLog} on an H2 file database through a group-committing {@link DurableStore}: forced records share one
 * sync per batch. See {@code db/coordinator/V1__transaction_log.sql} and the later migrations for the schema.
 *
 * <p>One row per transaction: the intent inserts it, the commit decision and the END update it, each with a single
 * statement; its participants are a column of the row ({@link ParticipantsCodec}), not rows of their own.
 */
public final class H2TxLog implements TxLog {

  private static final String COLUMNS = "tx_id, state, one_phase, deadline_at, updated_at, abort_cause, abort_by,"
      + " abort_detail, begun_at, labels, owner, participants";

  private final DurableStore store;
  private final LongSupplier clock;

  private H2TxLog(DurableStore store, LongSupplier clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Opens (or creates) {@code dataDir/coordinator-log.mv.db}. */
  public static H2TxLog open(Path dataDir, int maxBatch, Duration commitDelay, MeterRegistry registry,
      LongSupplier clock) throws SQLException {
    DurableStore store = DurableStore.open(dataDir.resolve("coordinator-log"), "coordinator",
        "classpath:db/coordinator", maxBatch, commitDelay, registry);
    return new H2TxLog(store, clock);
  }

  /** The store underneath, for tests in this package that tune H2 (its retention) to reach a crash window fast. */
  DurableStore store() {
    return store;
  }

  @Override
  public CompletionStage<Long> nextEpoch() {
    return store.submit(Durability.FORCED, H2TxLog::incrementEpoch);
  }

  @Override
  public CompletionStage<Void> writeIntent(TxId id, List<Participant> participants, boolean onePhase,
      long deadlineMillis, Info info) {
    long now = clock.getAsLong();
    return store.submit(Durability.WRITTEN, c -> {
      intent(c, id, participants, onePhase, deadlineMillis, now, info);
      return null;
    });
  }

  private static void intent(Connection c, TxId id, List<Participant> participants, boolean onePhase,
      long deadlineMillis, long now, Info info) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "MERGE INTO tx (tx_id, epoch, state, one_phase, deadline_at, updated_at, begun_at, labels, owner,"
            + " participants) KEY (tx_id) VALUES (?, ?, 'INTENT', ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, id.toString());
      ps.setLong(2, id.epoch());
      ps.setBoolean(3, onePhase);
      ps.setLong(4, deadlineMillis);
      ps.setLong(5, now);
      ps.setLong(6, info.begunAtMillis());
      ps.setBytes(7, encodeLabels(info.labels()));
      ps.setString(8, info.owner().isEmpty() ? null : info.owner());
      ps.setBytes(9, encode(participants, Set.of()));
      ps.executeUpdate();
    }
  }

  @Override
  public CompletionStage<Void> forceCommit(TxId id, List<Participant> participants) {
    long now = clock.getAsLong();
    return store.submit(Durability.FORCED, c -> {
      commit(c, id, participants, now);
      return null;
    });
  }

  /**
   * The decision, with the participants phase 2 must reach (the intent's less its read-only voters) written whole
   * in the same statement: H2 rewrites the whole row on any update, so keeping the intent's value would save
   * nothing, and comparing would cost a read.
   */
  private static void commit(Connection c, TxId id, List<Participant> participants, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET state = 'COMMIT', updated_at = ?, participants = ?"
        + " WHERE tx_id = ? AND state IN ('INTENT', 'COMMIT')")) {
      ps.setLong(1, now);
      ps.setBytes(2, encode(participants, Set.of()));
      ps.setString(3, id.toString());
      if (ps.executeUpdate() != 1) {
        throw new SQLException("no intent record for " + id + ": cannot log its commit decision");
      }
    }
  }

  @Override
  public CompletionStage<Void> writeEnd(TxId id, Outcome outcome, AbortReason reason, Info info) {
    long now = clock.getAsLong();
    return store.submit(Durability.WRITTEN, c -> {
      upsertEnd(c, id, outcome, reason, now, info);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> forceResolvedEnd(TxId id, Outcome outcome, AbortReason reason,
      List<Participant> forgotten) {
    long now = clock.getAsLong();
    return store.submit(Durability.FORCED, c -> {
      resolvedEnd(c, id, outcome, reason, forgotten, now, Info.NONE);
      return null;
    });
  }

  private static void resolvedEnd(Connection c, TxId id, Outcome outcome, AbortReason reason,
      List<Participant> forgotten, long now, Info info) throws SQLException {
    upsertEnd(c, id, outcome, reason, now, info);
    if (forgotten.isEmpty()) {
      return;
    }
    // An operator's resolution (rare): the forgotten participants are marked in the row's list, and added to it
    // where missing (a record written without them, or none before this END).
    ParticipantsCodec.Decoded had;
    try (PreparedStatement ps = c.prepareStatement("SELECT participants FROM tx WHERE tx_id = ?")) {
      ps.setString(1, id.toString());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        had = decode(rs.getBytes(1));
      }
    }
    Map<String, Participant> merged = new LinkedHashMap<>();
    had.participants().forEach(p -> merged.put(p.id(), p));
    forgotten.forEach(p -> merged.put(p.id(), p));
    Set<String> forgottenIds = new HashSet<>(had.forgotten());
    forgotten.forEach(p -> forgottenIds.add(p.id()));
    try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET participants = ? WHERE tx_id = ?")) {
      ps.setBytes(1, encode(new ArrayList<>(merged.values()), forgottenIds));
      ps.setString(2, id.toString());
      ps.executeUpdate();
    }
  }

  /**
   * An upsert: a commit that needed no intent (no participants, all read-only) gets its END all the same. Almost
   * every END finds its row, so the update comes first (a {@code MERGE} costs several times an {@code UPDATE} in H2);
   * there is one writer, so nothing can slip in between.
   */
  private static void upsertEnd(Connection c, TxId id, Outcome outcome, AbortReason reason, long now, Info info)
      throws SQLException {
    String state = outcome == Outcome.COMMITTED ? Kind.COMMITTED.name() : Kind.ROLLED_BACK.name();
    String cause = reason == null ? null : reason.cause().name();
    String by = reason == null ? null : reason.participantId();
    String detail = reason == null ? null : truncate(reason.detail(), 1024);
    try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET state = ?, updated_at = ?, abort_cause = ?,"
        + " abort_by = ?, abort_detail = ? WHERE tx_id = ?")) {
      ps.setString(1, state);
      ps.setLong(2, now);
      ps.setString(3, cause);
      ps.setString(4, by);
      ps.setString(5, detail);
      ps.setString(6, id.toString());
      if (ps.executeUpdate() == 1) {
        return;
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO tx (tx_id, epoch, state, one_phase, deadline_at,"
        + " updated_at, abort_cause, abort_by, abort_detail, begun_at, labels, owner) VALUES (?, ?, ?, FALSE, 0, ?, ?,"
        + " ?, ?, ?, ?, ?)")) {
      ps.setString(1, id.toString());
      ps.setLong(2, id.epoch());
      ps.setString(3, state);
      ps.setLong(4, now);
      ps.setString(5, cause);
      ps.setString(6, by);
      ps.setString(7, detail);
      ps.setLong(8, info.begunAtMillis());
      ps.setBytes(9, encodeLabels(info.labels()));
      ps.setString(10, info.owner().isEmpty() ? null : info.owner());
      ps.executeUpdate();
    }
  }

  @Override
  public CompletionStage<List<LoggedTx>> unfinished() {
    return store.submit(Durability.NONE, c -> select(c, "WHERE state IN ('INTENT', 'COMMIT')", null));
  }

  @Override
  public CompletionStage<Optional<LoggedTx>> find(TxId id) {
    return store.submit(Durability.NONE,
        c -> select(c, "WHERE tx_id = ?", id.toString()).stream().findFirst());
  }

  @Override
  public CompletionStage<Integer> purgeEndedBefore(long endedBeforeMillis) {
    return store.submit(Durability.WRITTEN, c -> purge(c, endedBeforeMillis));
  }

  private static int purge(Connection c, long endedBeforeMillis) throws SQLException {
    String ended = "state IN ('COMMITTED', 'ROLLED_BACK') AND updated_at < ?";
    long maxEpoch;
    try (PreparedStatement ps = c.prepareStatement("SELECT MAX(epoch) FROM tx WHERE " + ended)) {
      ps.setLong(1, endedBeforeMillis);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        maxEpoch = rs.getLong(1);
      }
    }
    int deleted;
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM tx WHERE " + ended)) {
      ps.setLong(1, endedBeforeMillis);
      deleted = ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE coordinator_meta SET meta_value = GREATEST(meta_value, ?)"
        + " WHERE meta_key = 'purged_through_epoch'")) {
      ps.setLong(1, maxEpoch);
      ps.executeUpdate();
    }
    return deleted;
  }

  @Override
  public CompletionStage<Long> purgedThroughEpoch() {
    return store.submit(Durability.NONE, c -> meta(c, "purged_through_epoch"));
  }

  @Override
  public void close() {
    store.close();
  }

  private static long incrementEpoch(Connection c) throws SQLException {
    try (PreparedStatement up = c.prepareStatement(
        "UPDATE coordinator_meta SET meta_value = meta_value + 1 WHERE meta_key = 'epoch'")) {
      up.executeUpdate();
    }
    return meta(c, "epoch");
  }

  /**
   * The log's operations inside one H2 transaction, for a caller that decides itself what to write: a replicated
   * log's applier, which reads a transaction's record before it applies a decision to it. Times are the caller's.
   */
  public interface Ops {
    Optional<LoggedTx> find(TxId id) throws SQLException;

    /** An intent record; {@code info}: when the transaction began and its labels. */
    void intent(TxId id, List<Participant> participants, boolean onePhase, long deadlineMillis, long now, Info info)
        throws SQLException;

    default void intent(TxId id, List<Participant> participants, boolean onePhase, long deadlineMillis, long now)
        throws SQLException {
      intent(id, participants, onePhase, deadlineMillis, now, Info.NONE);
    }

    /** @throws SQLException when there is no intent (or commit) record to turn into the decision */
    void commit(TxId id, List<Participant> participants, long now) throws SQLException;

    /** END; {@code info} is kept when the transaction had no record before. */
    void end(TxId id, Outcome outcome, AbortReason reason, List<Participant> forgotten, long now, Info info)
        throws SQLException;

    default void end(TxId id, Outcome outcome, AbortReason reason, List<Participant> forgotten, long now)
        throws SQLException {
      end(id, outcome, reason, forgotten, now, Info.NONE);
    }

    /** Increments the epoch and answers the new one. */
    long nextEpoch() throws SQLException;

    int purgeEndedBefore(long endedBeforeMillis) throws SQLException;

    /** A number kept beside the log (e.g. the last applied Raft index); 0 when never set. */
    long meta(String key) throws SQLException;

    void setMeta(String key, long value) throws SQLException;
  }

  /** Work on {@link Ops}; it may run twice (see {@link io.pledge.common.durable.StoreWork}). */
  @FunctionalInterface
  public interface OpsWork<T> {
    T run(Ops ops) throws SQLException;
  }

  /** Runs {@code work} as one piece of the log writer's ordered work, durable to {@code durability}. */
  public <T> CompletionStage<T> transact(Durability durability, OpsWork<T> work) {
    return store.submit(durability, c -> work.run(new ConnectionOps(c)));
  }

  /**
   * Writes every row of the log to {@code file} (length-delimited {@code pledge.cluster.v1.SnapshotRow}s): a
   * consistent copy as of every piece of work submitted before, for a replicated log's snapshot.
   */
  public CompletionStage<Void> exportTo(Path file) {
    return store.submit(Durability.NONE, c -> {
      try (java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file))) {
        LogSnapshot.write(c, out);
      } catch (java.io.IOException e) {
        throw new SQLException("writing the snapshot " + file + " failed: " + e.getMessage(), e);
      }
      return null;
    });
  }

  /**
   * Replaces every row of the log with those {@link #exportTo} wrote (a snapshot installed from a leader), in one
   * transaction of plain deletes and inserts.
   */
  public CompletionStage<Void> importFrom(Path file) {
    return store.submit(Durability.FORCED, c -> {
      try (java.io.InputStream in = new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file))) {
        LogSnapshot.read(in, c);
      } catch (java.io.IOException e) {
        throw new SQLException("reading the snapshot " + file + " failed: " + e.getMessage(), e);
      }
      return null;
    });
  }

  private record ConnectionOps(Connection c) implements Ops {

    @Override
    public Optional<LoggedTx> find(TxId id) throws SQLException {
      return select(c, "WHERE tx_id = ?", id.toString()).stream().findFirst();
    }

    @Override
    public void intent(TxId id, List<Participant> participants, boolean onePhase, long deadlineMillis, long now,
        Info info) throws SQLException {
      H2TxLog.intent(c, id, participants, onePhase, deadlineMillis, now, info);
    }

    @Override
    public void commit(TxId id, List<Participant> participants, long now) throws SQLException {
      H2TxLog.commit(c, id, participants, now);
    }

    @Override
    public void end(TxId id, Outcome outcome, AbortReason reason, List<Participant> forgotten, long now, Info info)
        throws SQLException {
      resolvedEnd(c, id, outcome, reason, forgotten, now, info);
    }

    @Override
    public long nextEpoch() throws SQLException {
      return incrementEpoch(c);
    }

    @Override
    public int purgeEndedBefore(long endedBeforeMillis) throws SQLException {
      return purge(c, endedBeforeMillis);
    }

    @Override
    public long meta(String key) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("SELECT meta_value FROM coordinator_meta WHERE meta_key = ?")) {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0;
        }
      }
    }

    @Override
    public void setMeta(String key, long value) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement(
          "MERGE INTO coordinator_meta (meta_key, meta_value) KEY (meta_key) VALUES (?, ?)")) {
        ps.setString(1, key);
        ps.setLong(2, value);
        ps.executeUpdate();
      }
    }
  }

  private static long meta(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT meta_value FROM coordinator_meta WHERE meta_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("coordinator_meta has no " + key);
        }
        return rs.getLong(1);
      }
    }
  }

  private static List<LoggedTx> select(Connection c, String where, String param) throws SQLException {
    List<LoggedTx> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM tx " + where + " ORDER BY tx_id")) {
      if (param != null) {
        ps.setString(1, param);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String cause = rs.getString(6);
          AbortReason reason = cause == null ? null
              : new AbortReason(AbortCause.valueOf(cause), rs.getString(7), rs.getString(8));
          ParticipantsCodec.Decoded participants = decode(rs.getBytes(12));
          out.add(new LoggedTx(TxId.parse(rs.getString(1)), Kind.valueOf(rs.getString(2)), rs.getBoolean(3),
              rs.getLong(4), rs.getLong(5), participants.participants(), reason, participants.forgotten(),
              new Info(rs.getLong(9), decodeLabels(rs.getBytes(10)), rs.getString(11))));
        }
      }
    }
    return out;
  }

  /** {@link ParticipantsCodec#encode}, its refusals as the writer's failures (the record is not written). */
  private static byte[] encode(List<Participant> participants, Set<String> forgotten) throws SQLException {
    try {
      return ParticipantsCodec.encode(participants, forgotten);
    } catch (IllegalArgumentException e) {
      throw new SQLException(e.getMessage(), e);
    }
  }

  private static ParticipantsCodec.Decoded decode(byte[] encoded) throws SQLException {
    try {
      return ParticipantsCodec.decode(encoded);
    } catch (IllegalStateException e) {
      throw new SQLException(e.getMessage(), e);
    }
  }

  /** Labels as a count and UTF-8 length-prefixed keys and values; null for none. */
  static byte[] encodeLabels(java.util.Map<String, String> labels) {
    if (labels.isEmpty()) {
      return null;
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      out.writeInt(labels.size());
      for (java.util.Map.Entry<String, String> label : new java.util.TreeMap<>(labels).entrySet()) {
        writeString(out, label.getKey());
        writeString(out, label.getValue());
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static java.util.Map<String, String> decodeLabels(byte[] encoded) {
    if (encoded == null || encoded.length == 0) {
      return java.util.Map.of();
    }
    java.util.Map<String, String> labels = new java.util.TreeMap<>();
    try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(encoded))) {
      for (int n = in.readInt(); n > 0; n--) {
        labels.put(readString(in), readString(in));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("unreadable labels in the log", e);
    }
    return labels;
  }

  private static void writeString(java.io.DataOutputStream out, String s) throws java.io.IOException {
    byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static String readString(java.io.DataInputStream in) throws java.io.IOException {
    byte[] utf8 = new byte[in.readInt()];
    in.readFully(utf8);
    return new String(utf8, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
