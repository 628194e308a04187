package io.pledge.coordinator.log;

import io.pledge.api.cluster.v1.MetaRow;
import io.pledge.api.cluster.v1.ParticipantRow;
import io.pledge.api.cluster.v1.SnapshotRow;
import io.pledge.api.cluster.v1.TxRow;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The rows of the log's three tables to and from a stream of length-delimited protobuf rows. Rows, not an SQL
 * script: restoring is deletes and inserts in the writer's transaction (DDL would commit it halfway and break the
 * writer's savepoints), and nothing is held in memory but a batch of inserts.
 */
final class LogSnapshot {

  private static final int BATCH = 500;

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
          + " abort_cause, abort_by, abort_detail, begun_at, labels, owner FROM tx")) {
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
        }
      }
      try (ResultSet rs = st.executeQuery(
          "SELECT tx_id, participant_id, endpoint, resolution FROM tx_participant")) {
        while (rs.next()) {
          ParticipantRow.Builder p = ParticipantRow.newBuilder().setTxId(rs.getString(1))
              .setParticipantId(rs.getString(2)).setEndpoint(rs.getString(3));
          if (rs.getString(4) != null) {
            p.setResolution(rs.getString(4));
          }
          SnapshotRow.newBuilder().setParticipant(p).build().writeDelimitedTo(out);
        }
      }
    }
  }

  static void read(InputStream in, Connection c) throws SQLException, IOException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM tx_participant");
      st.executeUpdate("DELETE FROM tx");
      st.executeUpdate("DELETE FROM coordinator_meta");
    }
    try (PreparedStatement meta = c.prepareStatement("INSERT INTO coordinator_meta (meta_key, meta_value) VALUES (?, ?)");
        PreparedStatement tx = c.prepareStatement("INSERT INTO tx (tx_id, epoch, state, one_phase, deadline_at,"
            + " updated_at, abort_cause, abort_by, abort_detail, begun_at, labels, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?, ?, ?, ?)");
        PreparedStatement participant = c.prepareStatement("INSERT INTO tx_participant (tx_id, participant_id,"
            + " endpoint, resolution) VALUES (?, ?, ?, ?)")) {
      int pending = 0;
      SnapshotRow row;
      while ((row = SnapshotRow.parseDelimitedFrom(in)) != null) {
        switch (row.getKindCase()) {
          case META -> {
            meta.setString(1, row.getMeta().getKey());
            meta.setLong(2, row.getMeta().getValue());
            meta.addBatch();
          }
          case TX -> {
            TxRow t = row.getTx();
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
            tx.addBatch();
          }
          case PARTICIPANT -> {
            ParticipantRow p = row.getParticipant();
            participant.setString(1, p.getTxId());
            participant.setString(2, p.getParticipantId());
            participant.setString(3, p.getEndpoint());
            participant.setString(4, p.hasResolution() ? p.getResolution() : null);
            participant.addBatch();
          }
          case KIND_NOT_SET -> throw new IOException("a snapshot row without a kind");
        }
        if (++pending == BATCH) {
          // Parents before children: meta and tx rows come first in the stream.
          meta.executeBatch();
          tx.executeBatch();
          participant.executeBatch();
          pending = 0;
        }
      }
      meta.executeBatch();
      tx.executeBatch();
      participant.executeBatch();
    }
  }
}
