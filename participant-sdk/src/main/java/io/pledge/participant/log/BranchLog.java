package io.pledge.participant.log;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * The participant's durable log of branches.
 *
 * <p>Durability: when the future of {@link #prepared} completes, the PREPARED record is forced: it survives
 * {@code kill -9} and a power loss, so a yes vote sent after it is never forgotten. {@link #finished} records
 * COMMITTED or ROLLED_BACK without forcing (presumed abort: losing one only makes recovery ask the coordinator
 * again, and resource commit/rollback are idempotent).
 *
 * <p>Idempotency: one record per (transaction, participant); writing the same state again changes nothing, and a
 * record is never duplicated.
 *
 * <p>Threading: any thread may call; futures complete on the caller's Vert.x context.
 */
public interface BranchLog extends AutoCloseable {

  Future<Void> prepared(String txId, String participantId);

  /** Forces the one-phase decision to commit (COMMITTING), before the resource is told to commit. */
  Future<Void> committing(String txId, String participantId);

  /** @param record a COMMITTED or ROLLED_BACK record */
  Future<Void> finished(BranchRecord record);

  Future<Optional<BranchRecord>> find(String txId, String participantId);

  /** Every branch still PREPARED or COMMITTING: what a restart must finish (asking the coordinator for PREPARED). */
  Future<List<BranchRecord>> inDoubt();

  @Override
  void close();
}
