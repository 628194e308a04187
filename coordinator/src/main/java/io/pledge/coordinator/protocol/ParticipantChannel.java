package io.pledge.coordinator.protocol;

import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import io.pledge.coordinator.state.Vote;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * How the coordinator talks to participants. Implementations: gRPC on the network, or an in-memory one in tests
 * that can drop and delay messages.
 *
 * <p>Threading: called on the coordinator's context; returned futures may complete on any thread (the caller hops
 * back). Each call either completes with the participant's answer, or fails (unreachable, error status, no answer
 * within {@code timeout}); a failure says nothing about whether the participant acted, so the protocol retries
 * phase-2 calls, which participants handle idempotently.
 */
public interface ParticipantChannel {

  /** A participant's vote with its reason (for a NO). */
  record VoteReply(Vote vote, String reason) {}

  /** A participant's answer to commit: COMMITTED, or (one-phase only) ABORTED with its reason. */
  record CommitReply(Outcome outcome, String reason) {}

  Future<VoteReply> prepare(TxId tx, Participant participant, Duration timeout);

  /** Phase-2 commit, or with {@code onePhase} the one-phase commit, whose answer may be ABORTED. */
  Future<CommitReply> commit(TxId tx, Participant participant, boolean onePhase, Duration timeout);

  Future<Void> rollback(TxId tx, Participant participant, Duration timeout);

  Future<Void> close();
}
