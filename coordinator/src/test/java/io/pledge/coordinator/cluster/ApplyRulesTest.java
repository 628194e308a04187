package io.pledge.coordinator.cluster;

import static io.pledge.coordinator.cluster.ApplyRules.Verdict.ALREADY;
import static io.pledge.coordinator.cluster.ApplyRules.Verdict.APPLY;
import static io.pledge.coordinator.cluster.ApplyRules.Verdict.REFUSE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pledge.coordinator.cluster.ApplyRules.Verdict;
import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.cluster.LogRecord.Purge;
import io.pledge.coordinator.log.LoggedTx;
import io.pledge.coordinator.log.LoggedTx.Kind;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The whole table of (what the log holds) x (record): a decision is never overturned, a repeated record changes
 * nothing, and the only way to a decision is through the records 2PC writes.
 */
class ApplyRulesTest {

  static final TxId TX = new TxId("pledge", 2, 1);
  static final List<Participant> A = List.of(new Participant("a", "h:1"));
  static final AbortReason WHY = AbortReason.of(AbortCause.PREPARE_TIMEOUT, "no vote");

  static final Map<String, LogRecord> RECORDS = new LinkedHashMap<>();

  static {
    RECORDS.put("intent", new Intent(TX, A, false, 0));
    RECORDS.put("commit", new Commit(TX, A));
    RECORDS.put("abort", new Abort(TX, WHY));
    RECORDS.put("end-committed", new End(TX, Outcome.COMMITTED, null, List.of(), false));
    RECORDS.put("end-aborted", new End(TX, Outcome.ABORTED, WHY, List.of(), false));
    RECORDS.put("resolved-committed", new End(TX, Outcome.COMMITTED, null, A, true));
    RECORDS.put("resolved-aborted", new End(TX, Outcome.ABORTED, WHY, A, true));
  }

  /** Rows: what the log holds (none, INTENT, COMMIT, COMMITTED, ROLLED_BACK); columns: RECORDS in order. */
  static final Map<String, List<Verdict>> TABLE = new LinkedHashMap<>();

  static {
    TABLE.put("none", List.of(APPLY, REFUSE, APPLY, APPLY, APPLY, APPLY, APPLY));
    TABLE.put("INTENT", List.of(APPLY, APPLY, APPLY, APPLY, APPLY, APPLY, APPLY));
    TABLE.put("COMMIT", List.of(REFUSE, APPLY, REFUSE, APPLY, REFUSE, APPLY, REFUSE));
    TABLE.put("COMMITTED", List.of(REFUSE, ALREADY, REFUSE, ALREADY, REFUSE, APPLY, REFUSE));
    TABLE.put("ROLLED_BACK", List.of(REFUSE, REFUSE, ALREADY, REFUSE, ALREADY, REFUSE, APPLY));
  }

  @Test
  void atMostOneDecisionPerTransaction() {
    TABLE.forEach((held, expected) -> {
      Optional<LoggedTx> current = held.equals("none") ? Optional.empty()
          : Optional.of(new LoggedTx(TX, Kind.valueOf(held), false, 0, 0, A, null));
      int i = 0;
      for (Map.Entry<String, LogRecord> record : RECORDS.entrySet()) {
        assertEquals(expected.get(i++), ApplyRules.verdict(current, record.getValue()),
            record.getKey() + " when the log holds " + held);
      }
    });
  }

  @Test
  void recordsWithoutATransactionAlwaysApply() {
    assertEquals(APPLY, ApplyRules.verdict(Optional.empty(), new NewEpoch("n0", "h:1")));
    assertEquals(APPLY, ApplyRules.verdict(Optional.empty(), new Purge(5)));
  }
}
