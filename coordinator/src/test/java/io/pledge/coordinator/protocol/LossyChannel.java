package io.pledge.coordinator.protocol;

import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.Vote;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * An in-memory network of simulated participants that loses requests, loses replies after the participant acted,
 * delivers requests twice and delays everything, with a seeded random source so that a failing run can be
 * replayed. A coordinator "crash" is simulated by {@link #cutOff}: calls of that incarnation are never answered.
 */
final class LossyChannel {

  enum Branch { PREPARED, COMMITTED, ROLLED_BACK }

  private final Vertx vertx;
  private final Random random;
  private final Map<String, Map<String, Branch>> ledgers = new ConcurrentHashMap<>();
  private final Map<String, Boolean> votesNo = new ConcurrentHashMap<>();
  private volatile double loss;
  private volatile int cutOffBelow;
  private volatile boolean holdPhaseTwo;

  LossyChannel(Vertx vertx, long seed, double loss) {
    this.vertx = vertx;
    this.random = new Random(seed);
    this.loss = loss;
  }

  /** Every phase-2 request gets lost (one-phase commits still go through) until {@link #heal}. */
  void holdPhaseTwo() {
    holdPhaseTwo = true;
  }

  void heal() {
    loss = 0;
    holdPhaseTwo = false;
  }

  /** Calls of incarnations below {@code incarnation} go nowhere from now on. */
  void cutOff(int incarnation) {
    cutOffBelow = incarnation;
  }

  /** Decides in advance that this participant votes no in this transaction. */
  void voteNo(String txId, String participantId) {
    votesNo.put(txId + "/" + participantId, true);
  }

  Branch branch(String participantId, String txId) {
    return ledgers.computeIfAbsent(participantId, k -> new ConcurrentHashMap<>()).get(txId);
  }

  ParticipantChannel incarnation(int incarnation) {
    return new ParticipantChannel() {
      @Override
      public Future<VoteReply> prepare(TxId tx, Participant p, Duration timeout) {
        return deliver(incarnation, false, () -> prepareAt(tx.toString(), p.id()));
      }

      @Override
      public Future<CommitReply> commit(TxId tx, Participant p, boolean onePhase, Duration timeout) {
        return deliver(incarnation, !onePhase, () -> commitAt(tx.toString(), p.id(), onePhase))
            .compose(r -> r == null ? Future.failedFuture("branch was rolled back") : Future.succeededFuture(r));
      }

      @Override
      public Future<Void> rollback(TxId tx, Participant p, Duration timeout) {
        return deliver(incarnation, true, () -> rollbackAt(tx.toString(), p.id()))
            .compose(ok -> ok ? Future.succeededFuture() : Future.failedFuture("branch was committed"));
      }

      @Override
      public Future<Void> close() {
        return Future.succeededFuture();
      }
    };
  }

  private <T> Future<T> deliver(int incarnation, boolean phaseTwo, Supplier<T> action) {
    Promise<T> reply = Promise.promise();
    boolean dropRequest;
    boolean dropReply;
    boolean duplicate;
    long delay;
    synchronized (random) {
      dropRequest = random.nextDouble() < loss;
      dropReply = random.nextDouble() < loss;
      duplicate = random.nextDouble() < loss;
      delay = 1 + random.nextInt(3);
    }
    vertx.setTimer(delay, t -> {
      if (incarnation < cutOffBelow) {
        return;
      }
      if (dropRequest || (phaseTwo && holdPhaseTwo)) {
        reply.fail("request lost");
        return;
      }
      T result = action.get();
      if (duplicate) {
        vertx.setTimer(delay, t2 -> action.get());
      }
      if (dropReply) {
        reply.fail("reply lost");
      } else {
        reply.complete(result);
      }
    });
    return reply.future();
  }

  private ParticipantChannel.VoteReply prepareAt(String tx, String participant) {
    Map<String, Branch> ledger = ledgers.computeIfAbsent(participant, k -> new ConcurrentHashMap<>());
    synchronized (ledger) {
      Branch b = ledger.get(tx);
      if (b == Branch.ROLLED_BACK || votesNo.containsKey(tx + "/" + participant)) {
        ledger.put(tx, Branch.ROLLED_BACK);
        return new ParticipantChannel.VoteReply(Vote.NO, "no");
      }
      ledger.putIfAbsent(tx, Branch.PREPARED);
      return new ParticipantChannel.VoteReply(Vote.YES, "");
    }
  }

  private ParticipantChannel.CommitReply commitAt(String tx, String participant, boolean onePhase) {
    Map<String, Branch> ledger = ledgers.computeIfAbsent(participant, k -> new ConcurrentHashMap<>());
    synchronized (ledger) {
      Branch b = ledger.get(tx);
      if (onePhase && b == null) {
        b = votesNo.containsKey(tx + "/" + participant) ? Branch.ROLLED_BACK : Branch.COMMITTED;
        ledger.put(tx, b);
      }
      if (b == Branch.ROLLED_BACK) {
        return onePhase ? new ParticipantChannel.CommitReply(Outcome.ABORTED, "no") : null;
      }
      ledger.put(tx, Branch.COMMITTED);
      return new ParticipantChannel.CommitReply(Outcome.COMMITTED, "");
    }
  }

  private boolean rollbackAt(String tx, String participant) {
    Map<String, Branch> ledger = ledgers.computeIfAbsent(participant, k -> new ConcurrentHashMap<>());
    synchronized (ledger) {
      if (ledger.get(tx) == Branch.COMMITTED) {
        return false;
      }
      ledger.put(tx, Branch.ROLLED_BACK);
      return true;
    }
  }
}
