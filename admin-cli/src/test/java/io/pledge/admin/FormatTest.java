package io.pledge.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.AbortCause;
import io.pledge.api.v1.AbortReason;
import io.pledge.api.v1.InspectLockResponse;
import io.pledge.api.v1.LockHolderInfo;
import io.pledge.api.v1.LockMode;
import io.pledge.api.v1.LockSummary;
import io.pledge.api.v1.LockWaiterInfo;
import io.pledge.api.v1.ParticipantInfo;
import io.pledge.api.v1.TransactionInfo;
import io.pledge.api.v1.TransactionState;
import io.pledge.api.v1.Vote;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FormatTest {

  static final Instant NOW = Cli.NOW;
  static final long NOW_MS = NOW.toEpochMilli();

  static TransactionInfo committing() {
    return TransactionInfo.newBuilder().setTxId("coord-0:1:7").setState(TransactionState.TRANSACTION_STATE_COMMITTING)
        .setBegunEpochMs(NOW_MS - 125_000).setDeadlineEpochMs(NOW_MS + 10_000).putLabels("order", "42")
        .addParticipants(ParticipantInfo.newBuilder().setParticipantId("bank-a").setEndpoint("10.0.0.1:7500")
            .setVote(Vote.VOTE_YES).setFinished(true))
        .addParticipants(ParticipantInfo.newBuilder().setParticipantId("bank-b").setEndpoint("10.0.0.2:7500")
            .setVote(Vote.VOTE_YES).setAttempts(9))
        .build();
  }

  @Test
  void durations() {
    assertEquals("0ms", Format.duration(Duration.ZERO));
    assertEquals("850ms", Format.duration(Duration.ofMillis(850)));
    assertEquals("42s", Format.duration(Duration.ofSeconds(42)));
    assertEquals("3m05s", Format.duration(Duration.ofSeconds(185)));
    assertEquals("2h07m", Format.duration(Duration.ofMinutes(127)));
    assertEquals("3d04h", Format.duration(Duration.ofHours(76)));
    assertEquals("in 28s", Format.until(NOW_MS + 28_000, NOW, "expired"));
    assertEquals("expired 3s ago", Format.until(NOW_MS - 3_000, NOW, "expired"));
    assertEquals("-", Format.age(0, NOW));
  }

  @Test
  void transactionList() {
    TransactionInfo aborted = TransactionInfo.newBuilder().setTxId("coord-0:1:12")
        .setState(TransactionState.TRANSACTION_STATE_ROLLING_BACK).setBegunEpochMs(NOW_MS - 4_000)
        .setAbortReason(AbortReason.newBuilder().setCause(AbortCause.ABORT_CAUSE_OPERATOR)
            .setDetail("rolled back by an operator"))
        .addParticipants(ParticipantInfo.newBuilder().setParticipantId("p").setEndpoint("h:1")).build();
    assertEquals("""
        TX ID         STATE         AGE    PARTICIPANTS          NOTE
        coord-0:1:7   COMMITTING    2m05s  2 (1 unacknowledged)
        coord-0:1:12  ROLLING_BACK  4s     1 (1 unacknowledged)  OPERATOR: rolled back by an operator
        """, Format.transactions(List.of(committing(), aborted), NOW));
    assertEquals("no transactions\n", Format.transactions(List.of(), NOW));
  }

  @Test
  void transactionDetailTellsWhatAResolutionWouldDo() {
    assertEquals("""
        transaction  coord-0:1:7
        state        COMMITTING (commit decided and logged; telling the participants)
        begun        2026-01-02T03:02:00Z (2m05s ago)
        labels       order=42

        PARTICIPANT  ENDPOINT       VOTE  PHASE 2           ATTEMPTS
        bank-a       10.0.0.1:7500  YES   acknowledged      0
        bank-b       10.0.0.2:7500  YES   not acknowledged  9

        resolve      --commit ends it now and forgets bank-b (you then make sure they commit); --rollback is\
         refused: the commit decision is logged
        """, Format.transaction(committing(), NOW));
  }

  @Test
  void forgottenParticipantsAndFinishedTransactions() {
    TransactionInfo tx = committing().toBuilder().setState(TransactionState.TRANSACTION_STATE_COMMITTED)
        .setParticipants(1, committing().getParticipants(1).toBuilder().setFinished(true).setForgotten(true)).build();
    String text = Format.transaction(tx, NOW);
    assertTrue(text.contains("bank-b       10.0.0.2:7500  YES   FORGOTTEN by an operator"), text);
    assertTrue(text.contains("resolve      nothing to resolve: it is finished"), text);
    assertTrue(Format.transactions(List.of(tx), NOW).contains("forgotten by an operator: bank-b"));
    assertTrue(Format.resolveHint(tx.toBuilder().setState(TransactionState.TRANSACTION_STATE_ACTIVE).build())
        .startsWith("--rollback aborts it"));
  }

  @Test
  void locks() {
    LockHolderInfo holder = LockHolderInfo.newBuilder().setOwner("coord-0:1:7").setMode(LockMode.LOCK_MODE_EXCLUSIVE)
        .setFencingToken(12).setHoldCount(1).setLeaseExpiresAtMs(NOW_MS + 28_000).build();
    assertEquals("""
        LOCK       MODE       HOLDERS                 WAITERS  LEASE
        account:1  EXCLUSIVE  coord-0:1:7 (token 12)  2        in 28s
        queue:9    -          -                       1        -
        """, Format.locks(List.of(
        LockSummary.newBuilder().setLock("account:1").setMode(LockMode.LOCK_MODE_EXCLUSIVE).addHolders(holder)
            .setWaiters(2).build(),
        LockSummary.newBuilder().setLock("queue:9").setWaiters(1).build()), NOW));
    assertEquals("""
        lock                account:1
        last fencing token  12

        HOLDER       MODE       TOKEN  COUNT  LEASE
        coord-0:1:7  EXCLUSIVE  12     1      expires in 28s

        WAITER       MODE    WAITING
        coord-0:1:9  SHARED  3s
        """, Format.lock(InspectLockResponse.newBuilder().setLock("account:1").setLastFencingToken(12)
        .addHolders(holder).addWaiters(LockWaiterInfo.newBuilder().setOwner("coord-0:1:9")
            .setMode(LockMode.LOCK_MODE_SHARED).setWaitingSinceMs(NOW_MS - 3_000)).build(), NOW));
    assertTrue(Format.lock(InspectLockResponse.newBuilder().setLock("x").build(), NOW)
        .contains("free                no holders, no waiters"));
  }

  @Test
  void jsonKeepsFieldsWithDefaultValues() {
    String json = Format.json(committing());
    assertTrue(json.contains("\"state\": \"TRANSACTION_STATE_COMMITTING\""), json);
    assertTrue(json.contains("\"forgotten\": false"), json);
  }
}
