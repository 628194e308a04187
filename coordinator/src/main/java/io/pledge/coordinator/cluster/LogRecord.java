package io.pledge.coordinator.cluster;

import io.pledge.coordinator.log.TxLog.Info;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.List;
import java.util.Objects;

/**
 * One record of the replicated coordinator log: what a single coordinator writes to its H2 log, as a Raft entry's
 * part. Converted to and from protobuf only by {@link LogCodec}.
 */
public sealed interface LogRecord {

  /** A new leader takes the next epoch; its transaction ids carry it. */
  record NewEpoch(String leaderId, String leaderEndpoint) implements LogRecord {
    public NewEpoch {
      Objects.requireNonNull(leaderId, "leaderId");
      Objects.requireNonNull(leaderEndpoint, "leaderEndpoint");
    }
  }

  /** The participant list before any prepare goes out, with when the transaction began and its labels. */
  record Intent(TxId id, List<Participant> participants, boolean onePhase, long deadlineMillis, Info info)
      implements LogRecord {
    public Intent {
      Objects.requireNonNull(id, "id");
      participants = List.copyOf(participants);
      Objects.requireNonNull(info, "info");
    }

    public Intent(TxId id, List<Participant> participants, boolean onePhase, long deadlineMillis) {
      this(id, participants, onePhase, deadlineMillis, Info.NONE);
    }
  }

  /** The commit decision, with the participants phase 2 must reach. */
  record Commit(TxId id, List<Participant> participants) implements LogRecord {
    public Commit {
      Objects.requireNonNull(id, "id");
      participants = List.copyOf(participants);
    }
  }

  /** The abort decision of a transaction whose prepares may have gone out. */
  record Abort(TxId id, AbortReason reason) implements LogRecord {
    public Abort {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * END. {@code resolved}: an operator's resolution, naming the participants it {@code forgotten}.
   *
   * @param reason null for a commit
   * @param info kept only when the transaction had no record before
   */
  record End(TxId id, Outcome outcome, AbortReason reason, List<Participant> forgotten, boolean resolved, Info info)
      implements LogRecord {

    public End(TxId id, Outcome outcome, AbortReason reason, List<Participant> forgotten, boolean resolved) {
      this(id, outcome, reason, forgotten, resolved, Info.NONE);
    }

    public End {
      Objects.requireNonNull(info, "info");
      Objects.requireNonNull(id, "id");
      if (outcome != Outcome.COMMITTED && outcome != Outcome.ABORTED) {
        throw new IllegalArgumentException("an END record is committed or aborted, not " + outcome);
      }
      forgotten = List.copyOf(forgotten);
    }
  }

  /** Deletes ended transactions whose END is older than {@code endedBeforeMillis} (the leader's clock). */
  record Purge(long endedBeforeMillis) implements LogRecord {}

  /** What the records of one Raft entry share: the proposing leader's clock. */
  record Entry(List<LogRecord> records, long atMillis) {
    public Entry {
      records = List.copyOf(records);
      if (records.isEmpty()) {
        throw new IllegalArgumentException("an entry holds at least one record");
      }
    }
  }

  /** A record's fate once applied. */
  record Result(boolean applied, long value, String detail) {
    public Result {
      detail = detail == null ? "" : detail;
    }

    public static Result applied(long value) {
      return new Result(true, value, "");
    }

    public static Result refused(String why) {
      return new Result(false, 0, why);
    }
  }
}
