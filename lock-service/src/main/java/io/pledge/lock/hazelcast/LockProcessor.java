package io.pledge.lock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.LockTable.Step;
import java.util.Map;

/**
 * Runs one {@link LockOp} (a {@link io.pledge.lock.table.LockTable} rule) on the member that owns the lock's partition: atomic for that
 * lock, then replicated to the backups. The rule reads the member's clock, so a backup must not re-run it: the backup
 * processor copies the state the primary computed ({@link StateBackup}).
 *
 * <p>Before the rule runs, the member's {@link LockGuard} window is applied to a lock whose last writer was another
 * member (its partition moved here) or that has no state (it may have been lost with its replicas).
 */
public abstract class LockProcessor implements EntryProcessor<String, LockState, Reply>, IdentifiedDataSerializable,
    HazelcastInstanceAware {

  private transient HazelcastInstance member;
  private transient LockState written;

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
    this.member = hazelcastInstance;
  }

  /** The operation this processor carries. */
  protected abstract LockOp op();

  @Override
  public final Reply process(Map.Entry<String, LockState> entry) {
    long now = System.currentTimeMillis();
    LockState current = entry.getValue();
    LockState state = current == null ? LockState.empty(entry.getKey()) : current;
    String me = member == null ? "" : member.getCluster().getLocalMember().getUuid().toString();
    LockGuard guard = member == null ? null : (LockGuard) member.getUserContext().get(LockGuard.USER_CONTEXT_KEY);
    if (guard != null && (current == null || !me.equals(state.lastWriter())) && guard.delayUntil() > now) {
      state = state.delayedUntil(guard.delayUntil());
    }
    Step step = op().apply(state, now);
    LockState next = step.state();
    if (current != null && next.version() == current.version() || current == null && next.isIdle()
        && next.lastToken() == 0) {
      return Reply.of(op(), state, next, step.decision()); // nothing changed: no write, no backup
    }
    // Checked after the rule read the clock: a pause before this point lapses the authority; a pause after it only
    // delays a grant whose lease was counted from before the pause.
    MemberAuthority authority = member == null ? null
        : (MemberAuthority) member.getUserContext().get(MemberAuthority.USER_CONTEXT_KEY);
    if (authority != null && !authority.holds()) {
      return new Reply(null, Decision.unavailable("NO_AUTHORITY: this lock-service member has not confirmed with a"
          + " majority of the cluster, within the last " + authority.validity().toMillis() + " ms, that it is still a"
          + " member (it may have been paused or cut off); nothing was granted or renewed here. Retry"));
    }
    written = next.departedSince(state).writtenBy(me);
    entry.setValue(written);
    return Reply.of(op(), state, written, step.decision());
  }

  @Override
  public final EntryProcessor<String, LockState, Reply> getBackupProcessor() {
    return written == null ? null : new StateBackup(written);
  }

  @Override
  public final int getFactoryId() {
    return LockDataFactory.FACTORY_ID;
  }
}
