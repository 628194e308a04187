package io.pledge.coordinator.log;

import io.pledge.api.cluster.v1.MetaRow;
import io.pledge.api.cluster.v1.ParticipantRow;
import io.pledge.api.cluster.v1.SnapshotRow;
import io.pledge.api.cluster.v1.TxRow;
import io.pledge.coordinator.state.Participant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The log's rows to and from a stream of length-delimited protobuf rows. Rows, not an SQL script: restoring is
 * deletes and inserts in the writer's transaction (DDL would commit it halfway and break the writer's savepoints),
 * and nothing is held in memory but a batch of inserts.
 *
 * <p>The stream keeps the form it had while participants were rows of their own ({@code ParticipantRow}, one per
 * participant), so that a node of either version installs the other's snapshot during a rolling upgrade. Written
 * now: each transaction's participant rows right after its {@code TxRow} (a reader of the old version executes its
 * batch of transactions before its batch of participants, so the order suits it too). Read: participant rows that
 * follow their transaction go into its row's insert; others (the old form put all of them at the end) are merged
 * into the row already inserted.
 */
final class LogSnapshot {

  private static final int BATCH = 500;
  /** {@code ParticipantRow.resolution} of a participant an operator ended the transaction without. */
  private static final String FORGOTTEN = "FORGOTTEN";

  private LogSnapshot() {}

  static void write(Connection c, OutputStream out) throws SQLException, IOException {
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT meta_key, meta_value FROM coordinator_meta")) {
        while (rs.next()) {
          SnapshotRow.newBuilder().setMeta(MetaRow.newBuilder().setKey(rs.getString(1)).setValue(rs.getLong(2)))
              .build().writeDelimitedTo(out);
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT tx_id, epoch, state, one_phase, deadline_at, updated_at,"
          + " abort_cause, abort_by, abort_detail, begun_at, labels, owner, participants FROM tx")) {
        while (rs.next()) {
          TxRow.Builder t = TxRow.newBuilder().setTxId(rs.getString(1)).setEpoch(rs.getLong(2))
              .setState(rs.getString(3)).setOnePhase(rs.getBoolean(4)).setDeadlineAt(rs.getLong(5))
              .setUpdatedAt(rs.getLong(6));
          if (rs.getString(7) != null) {
            t.setAbortCause(rs.getString(7));
          }
          if (rs.getString(8) != null) {
            t.setAbortBy(rs.getString(8));
          }
          if (rs.getString(9) != null) {
            t.setAbortDetail(rs.getString(9));
          }
          t.setBegunAt(rs.getLong(10));
          if (rs.getBytes(11) != null) {
            t.setLabels(com.google.protobuf.ByteString.copyFrom(rs.getBytes(11)));
          }
          if (rs.getString(12) != null) {
            t.setOwner(rs.getString(12));
          }
          SnapshotRow.newBuilder().setTx(t).build().writeDelimitedTo(out);
          ParticipantsCodec.Decoded participants = decode(rs.getBytes(13));
          for (Participant p : participants.participants()) {
            ParticipantRow.Builder row = ParticipantRow.newBuilder().setTxId(rs.getString(1))
                .setParticipantId(p.id()).setEndpoint(p.endpoint());
            if (participants.forgotten().contains(p.id())) {
              row.setResolution(FORGOTTEN);
            }
            SnapshotRow.newBuilder().setParticipant(row).build().writeDelimitedTo(out);
          }
        }
      }
    }
  }

  /** One transaction's participants as the stream gives them, one row at a time. */
  private static final class Participants {
    final String txId;
    final List<Participant> list = new ArrayList<>();
    final Set<String> forgotten = new HashSet<>();

    Participants(String txId) {
      this.txId = txId;
    }

    void add(ParticipantRow p) {
      list.add(new Participant(p.getParticipantId(), p.getEndpoint()));
      if (FORGOTTEN.equals(p.getResolution())) {
        forgotten.add(p.getParticipantId());
      }
    }
  }

  static void read(InputStream in, Connection c) throws SQLException, IOException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM tx");
      st.executeUpdate("DELETE FROM coordinator_meta");
    }
    try (PreparedStatement meta = c.prepareStatement("INSERT INTO coordinator_meta (meta_key, meta_value) VALUES (?, ?)");
        PreparedStatement tx = c.prepareStatement("INSERT INTO tx (tx_id, epoch, state, one_phase, deadline_at,"
            + " updated_at, abort_cause, abort_by, abort_detail, begun_at, labels, owner, participants) VALUES (?, ?,"
            + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      int pending = 0;
      TxRow current = null;
      Participants ofCurrent = null;
      Participants late = null;
      SnapshotRow row;
      while ((row = SnapshotRow.parseDelimitedFrom(in)) != null) {
        switch (row.getKindCase()) {
          case META -> {
            meta.setString(1, row.getMeta().getKey());
            meta.setLong(2, row.getMeta().getValue());
            meta.addBatch();
          }
          case TX -> {
            addTx(tx, current, ofCurrent);
            current = row.getTx();
            ofCurrent = new Participants(current.getTxId());
          }
          case PARTICIPANT -> {
            ParticipantRow p = row.getParticipant();
            if (current != null && current.getTxId().equals(p.getTxId())) {
              ofCurrent.add(p);
            } else {
              if (late == null || !late.txId.equals(p.getTxId())) {
                addTx(tx, current, ofCurrent);
                current = null;
                mergeLate(c, meta, tx, late);
                late = new Participants(p.getTxId());
              }
              late.add(p);
            }
          }
          case KIND_NOT_SET -> throw new IOException("a snapshot row without a kind");
        }
        if (++pending >= BATCH) {
          meta.executeBatch();
          tx.executeBatch();
          pending = 0;
        }
      }
      addTx(tx, current, ofCurrent);
      meta.executeBatch();
      tx.executeBatch();
      mergeLate(c, meta, tx, late);
    }
  }

  private static void addTx(PreparedStatement tx, TxRow t, Participants participants) throws SQLException {
    if (t == null) {
      return;
    }
    tx.setString(1, t.getTxId());
    tx.setLong(2, t.getEpoch());
    tx.setString(3, t.getState());
    tx.setBoolean(4, t.getOnePhase());
    tx.setLong(5, t.getDeadlineAt());
    tx.setLong(6, t.getUpdatedAt());
    tx.setString(7, t.hasAbortCause() ? t.getAbortCause() : null);
    tx.setString(8, t.hasAbortBy() ? t.getAbortBy() : null);
    tx.setString(9, t.hasAbortDetail() ? t.getAbortDetail() : null);
    tx.setLong(10, t.getBegunAt());
    tx.setBytes(11, t.hasLabels() ? t.getLabels().toByteArray() : null);
    tx.setString(12, t.hasOwner() ? t.getOwner() : null);
    tx.setBytes(13, encode(participants.list, participants.forgotten));
    tx.addBatch();
  }

  /**
   * Participant rows that did not follow their transaction's row (a snapshot of the old form): merged into that
   * row, inserted before (the batches are executed first). A row for a transaction the snapshot does not hold has
   * nothing to belong to and is dropped, as the old schema, without a foreign key, would have kept it unread.
   */
  private static void mergeLate(Connection c, PreparedStatement meta, PreparedStatement tx, Participants late)
      throws SQLException {
    if (late == null) {
      return;
    }
    meta.executeBatch();
    tx.executeBatch();
    ParticipantsCodec.Decoded had;
    try (PreparedStatement ps = c.prepareStatement("SELECT participants FROM tx WHERE tx_id = ?")) {
      ps.setString(1, late.txId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        had = decode(rs.getBytes(1));
      }
    }
    Map<String, Participant> merged = new LinkedHashMap<>();
    had.participants().forEach(p -> merged.put(p.id(), p));
    late.list.forEach(p -> merged.put(p.id(), p));
    Set<String> forgotten = new HashSet<>(had.forgotten());
    forgotten.addAll(late.forgotten);
    try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET participants = ? WHERE tx_id = ?")) {
      ps.setBytes(1, encode(new ArrayList<>(merged.values()), forgotten));
      ps.setString(2, late.txId);
      ps.executeUpdate();
    }
  }

  private static byte[] encode(List<Participant> participants, Set<String> forgotten) throws SQLException {
    try {
      return ParticipantsCodec.encode(participants, forgotten);
    } catch (IllegalArgumentException e) {
      throw new SQLException("a snapshot row's participants: " + e.getMessage(), e);
    }
  }

  private static ParticipantsCodec.Decoded decode(byte[] encoded) throws SQLException {
    try {
      return ParticipantsCodec.decode(encoded);
    } catch (IllegalStateException e) {
      throw new SQLException(e.getMessage(), e);
    }
  }
}
