package db.coordinator;

import io.pledge.coordinator.log.ParticipantsCodec;
import io.pledge.coordinator.state.Participant;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Moves every transaction's {@code tx_participant} rows into the {@code participants} column of its {@code tx} row
 * (V5), in {@link ParticipantsCodec}'s encoding, and empties {@code tx_participant}: a coordinator upgraded in place
 * with unfinished transactions recovers them with the same participants (and an ended one keeps its forgotten
 * participants). Java, not SQL, because the encoding is the log's own.
 *
 * <p>Only data statements, so that it all happens in one transaction, Flyway's, together with its schema history
 * row: a crash leaves either the old form or the new. Run again (a crash after its commit, before Flyway recorded
 * it, should H2 commit them apart), it finds {@code tx_participant} empty and changes nothing.
 */
public class V6__Participants_from_their_rows_into_the_tx_row extends BaseJavaMigration {

  private static final int BATCH = 500;

  @Override
  public void migrate(Context context) throws SQLException {
    Connection c = context.getConnection();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT tx_id, participant_id, endpoint, resolution FROM tx_participant"
            + " ORDER BY tx_id, participant_id");
        PreparedStatement update = c.prepareStatement("UPDATE tx SET participants = ? WHERE tx_id = ?")) {
      String txId = null;
      List<Participant> participants = new ArrayList<>();
      Set<String> forgotten = new HashSet<>();
      int pending = 0;
      while (rs.next()) {
        if (!rs.getString(1).equals(txId)) {
          pending += add(update, txId, participants, forgotten);
          txId = rs.getString(1);
          participants.clear();
          forgotten.clear();
        }
        participants.add(new Participant(rs.getString(2), rs.getString(3)));
        if ("FORGOTTEN".equals(rs.getString(4))) {
          forgotten.add(rs.getString(2));
        }
        if (pending >= BATCH) {
          update.executeBatch();
          pending = 0;
        }
      }
      add(update, txId, participants, forgotten);
      update.executeBatch();
    }
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM tx_participant");
    }
  }

  private static int add(PreparedStatement update, String txId, List<Participant> participants,
      Set<String> forgotten) throws SQLException {
    if (txId == null) {
      return 0;
    }
    update.setBytes(1, ParticipantsCodec.encode(participants, forgotten));
    update.setString(2, txId);
    update.addBatch();
    return 1;
  }
}
