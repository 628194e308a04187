package io.pledge.participant.recovery;

import io.vertx.core.Future;

/**
 * Where an in-doubt branch learns its fate: the owning coordinator's {@code GetOutcome}. A failed future (the
 * coordinator is unreachable or recovering) means "ask again later", never "abort".
 */
@FunctionalInterface
public interface OutcomeSource {

  enum Answer { COMMITTED, ABORTED, PENDING }

  Future<Answer> outcome(String txId, String participantId);
}
