package io.pledge.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.pledge.api.v1.AbortReason;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.LockHolderInfo;
import io.pledge.api.v1.LockSummary;
import io.pledge.api.v1.LockWaiterInfo;
import io.pledge.api.v1.ParticipantInfo;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.api.v1.TransactionState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** How pledge-admin shows things to people: plain-text tables and blocks. Pure, so that tests pin the output. */
final class Format {

  private static final JsonFormat.Printer JSON = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

  private Format() {}

  static String json(MessageOrBuilder message) {
    try {
      return JSON.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** {@code COMMITTING} for {@code TRANSACTION_STATE_COMMITTING}. */
  static String state(TransactionState state) {
    return state.name().replace("TRANSACTION_STATE_", "");
  }

  static String enumName(Enum<?> value, String prefix) {
    String name = value.name();
    return name.endsWith("UNSPECIFIED") ? "-" : name.replace(prefix, "");
  }

  /** {@code 850ms}, {@code 42s}, {@code 3m05s}, {@code 2h07m}, {@code 3d04h}. */
  static String duration(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 1_000) {
      return ms + "ms";
    }
    long s = ms / 1_000;
    if (s < 60) {
      return s + "s";
    }
    if (s < 3_600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    if (s < 86_400) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3_600, s % 3_600 / 60);
    }
    return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, s % 86_400 / 3_600);
  }

  static String age(long sinceEpochMs, Instant now) {
    return sinceEpochMs <= 0 ? "-" : duration(Duration.between(Instant.ofEpochMilli(sinceEpochMs), now));
  }

  /** Until a wall-clock instant: {@code in 28s}, or {@code expired 3s ago}. */
  static String until(long epochMs, Instant now, String passed) {
    Duration left = Duration.between(now, Instant.ofEpochMilli(epochMs));
    return left.isNegative() ? passed + " " + duration(left.negated()) + " ago" : "in " + duration(left);
  }

  static String abort(AbortReason r) {
    return enumName(r.getCause(), "ABORT_CAUSE_") + (r.getParticipantId().isEmpty() ? "" : " by " + r.getParticipantId())
        + (r.getDetail().isEmpty() ? "" : ": " + r.getDetail());
  }

  static List<String> unacknowledged(TransactionInfo tx) {
    return tx.getParticipantsList().stream().filter(p -> !p.getFinished()).map(ParticipantInfo::getParticipantId)
        .toList();
  }

  static List<String> forgotten(TransactionInfo tx) {
    return tx.getParticipantsList().stream().filter(ParticipantInfo::getForgotten)
        .map(ParticipantInfo::getParticipantId).toList();
  }

  static String transactions(List<TransactionInfo> txs, Instant now) {
    if (txs.isEmpty()) {
      return "no transactions\n";
    }
    Table t = new Table("TX ID", "STATE", "AGE", "PARTICIPANTS", "NOTE");
    for (TransactionInfo tx : txs) {
      int n = tx.getParticipantsCount();
      int waiting = unacknowledged(tx).size();
      String participants = n + (waiting > 0 && isDecided(tx.getState()) ? " (" + waiting + " unacknowledged)" : "");
      String note = tx.hasAbortReason() ? abort(tx.getAbortReason())
          : forgotten(tx).isEmpty() ? "" : "forgotten by an operator: " + String.join(", ", forgotten(tx));
      t.row(tx.getTxId(), state(tx.getState()), age(tx.getBegunEpochMs(), now), participants, note);
    }
    return t.toString();
  }

  static String transaction(TransactionInfo tx, Instant now) {
    StringBuilder b = new StringBuilder();
    b.append("transaction  ").append(tx.getTxId()).append('\n');
    b.append("state        ").append(state(tx.getState())).append(" (").append(meaning(tx.getState())).append(")\n");
    if (tx.getBegunEpochMs() > 0) {
      b.append("begun        ").append(Instant.ofEpochMilli(tx.getBegunEpochMs())).append(" (")
          .append(age(tx.getBegunEpochMs(), now)).append(" ago)\n");
    }
    if (tx.getDeadlineEpochMs() > 0 && !isDecided(tx.getState())) {
      b.append("deadline     ").append(Instant.ofEpochMilli(tx.getDeadlineEpochMs())).append(" (")
          .append(until(tx.getDeadlineEpochMs(), now, "passed")).append(")\n");
    }
    if (tx.getLabelsCount() > 0) {
      b.append("labels       ").append(tx.getLabelsMap().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "))).append('\n');
    }
    if (tx.hasAbortReason()) {
      b.append("abort        ").append(abort(tx.getAbortReason())).append('\n');
    }
    if (tx.getParticipantsCount() == 0) {
      b.append("participants none\n");
    } else {
      Table t = new Table("PARTICIPANT", "ENDPOINT", "VOTE", "PHASE 2", "ATTEMPTS");
      for (ParticipantInfo p : tx.getParticipantsList()) {
        t.row(p.getParticipantId(), p.getEndpoint(), enumName(p.getVote(), "VOTE_"), phaseTwo(tx.getState(), p),
            Integer.toString(p.getAttempts()));
      }
      b.append('\n').append(t);
    }
    b.append('\n').append("resolve      ").append(resolveHint(tx)).append('\n');
    return b.toString();
  }

  private static String phaseTwo(TransactionState state, ParticipantInfo p) {
    if (p.getForgotten()) {
      return "FORGOTTEN by an operator";
    }
    if (p.getFinished()) {
      return p.getVote() == io.pledge.api.v1.Vote.VOTE_READ_ONLY ? "not needed (read-only)" : "acknowledged";
    }
    return isDecided(state) ? "not acknowledged" : "-";
  }

  static boolean isDecided(TransactionState s) {
    return s == TransactionState.TRANSACTION_STATE_COMMITTING || s == TransactionState.TRANSACTION_STATE_COMMITTED
        || s == TransactionState.TRANSACTION_STATE_ROLLING_BACK || s == TransactionState.TRANSACTION_STATE_ROLLED_BACK;
  }

  static String meaning(TransactionState s) {
    return switch (s) {
      case TRANSACTION_STATE_ACTIVE -> "begun, commit not requested yet";
      case TRANSACTION_STATE_PREPARING -> "undecided: waiting for the participants' votes";
      case TRANSACTION_STATE_PREPARED -> "every vote was yes; the commit decision is being logged";
      case TRANSACTION_STATE_COMMITTING -> "commit decided and logged; telling the participants";
      case TRANSACTION_STATE_COMMITTED -> "finished: committed";
      case TRANSACTION_STATE_ROLLING_BACK -> "abort decided; telling the participants";
      case TRANSACTION_STATE_ROLLED_BACK -> "finished: rolled back";
      default -> "unknown state";
    };
  }

  /** What each resolution would do in this state; the coordinator decides, this only explains. */
  static String resolveHint(TransactionInfo tx) {
    String waiting = String.join(", ", unacknowledged(tx));
    return switch (tx.getState()) {
      case TRANSACTION_STATE_ACTIVE, TRANSACTION_STATE_PREPARING -> "--rollback aborts it (the participants are told);"
          + " --commit is refused: it is undecided and no commit record exists";
      case TRANSACTION_STATE_PREPARED -> "not needed: every participant voted yes, it commits by itself;"
          + " --rollback is refused";
      case TRANSACTION_STATE_COMMITTING -> "--commit ends it now and forgets " + waiting
          + " (you then make sure they commit); --rollback is refused: the commit decision is logged";
      case TRANSACTION_STATE_ROLLING_BACK -> "--rollback ends it now and forgets " + waiting
          + " (you then make sure they roll back); --commit is refused: abort was decided";
      default -> "nothing to resolve: it is finished";
    };
  }

  static String locks(List<LockSummary> locks, Instant now) {
    if (locks.isEmpty()) {
      return "no locks held or awaited\n";
    }
    Table t = new Table("LOCK", "MODE", "HOLDERS", "WAITERS", "LEASE");
    for (LockSummary l : locks) {
      String holders = l.getHoldersList().stream().map(h -> h.getOwner() + " (token " + h.getFencingToken() + ")")
          .collect(Collectors.joining(", "));
      long firstExpiry = l.getHoldersList().stream().mapToLong(LockHolderInfo::getLeaseExpiresAtMs).min().orElse(0);
      t.row(l.getLock(), enumName(l.getMode(), "LOCK_MODE_"), holders.isEmpty() ? "-" : holders,
          Integer.toString(l.getWaiters()), firstExpiry == 0 ? "-" : until(firstExpiry, now, "expired"));
    }
    return t.toString();
  }

  static String lock(InspectLockResponse l, Instant now) {
    StringBuilder b = new StringBuilder();
    b.append("lock                ").append(l.getLock()).append('\n');
    b.append("last fencing token  ").append(l.getLastFencingToken()).append('\n');
    if (l.getNotBeforeMs() > 0) {
      b.append("lock-delay          until ").append(Instant.ofEpochMilli(l.getNotBeforeMs())).append(" (")
          .append(until(l.getNotBeforeMs(), now, "ended")).append(")\n");
    }
    if (l.getHoldersCount() == 0 && l.getWaitersCount() == 0) {
      return b.append("free                no holders, no waiters\n").toString();
    }
    Table holders = new Table("HOLDER", "MODE", "TOKEN", "COUNT", "LEASE");
    for (LockHolderInfo h : l.getHoldersList()) {
      holders.row(h.getOwner(), enumName(h.getMode(), "LOCK_MODE_"), Long.toString(h.getFencingToken()),
          Integer.toString(h.getHoldCount()), "expires " + until(h.getLeaseExpiresAtMs(), now, "expired"));
    }
    Table waiters = new Table("WAITER", "MODE", "WAITING");
    for (LockWaiterInfo w : l.getWaitersList()) {
      waiters.row(w.getOwner(), enumName(w.getMode(), "LOCK_MODE_"), age(w.getWaitingSinceMs(), now));
    }
    b.append('\n').append(l.getHoldersCount() == 0 ? "no holders\n" : holders.toString());
    b.append('\n').append(l.getWaitersCount() == 0 ? "no waiters\n" : waiters.toString());
    return b.toString();
  }

  /** Left-aligned columns separated by two spaces. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      rows.add(header);
    }

    void row(String... cells) {
      rows.add(cells);
    }

    @Override
    public String toString() {
      int[] width = new int[rows.get(0).length];
      for (String[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      StringBuilder b = new StringBuilder();
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < r.length; i++) {
          line.append(i == r.length - 1 ? r[i] : String.format(Locale.ROOT, "%-" + width[i] + "s  ", r[i]));
        }
        b.append(line.toString().stripTrailing()).append('\n');
      }
      return b.toString();
    }
  }
}
