package io.pledge.lock.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.LockTable;
import io.pledge.lock.table.LockTable.Acquire;
import io.pledge.lock.table.LockTable.Step;
import java.io.IOException;

/** One small processor per lock-table rule; each only carries its request across the wire. */
public final class Processors {

  private Processors() {}

  public static final class AcquireLock extends LockProcessor {
    private String owner;
    private LockMode mode;
    private long leaseMs;
    private boolean mayWait;
    private String requestId;

    public AcquireLock() {}

    public AcquireLock(Acquire request) {
      this.owner = request.owner();
      this.mode = request.mode();
      this.leaseMs = request.leaseMs();
      this.mayWait = request.mayWait();
      this.requestId = request.requestId();
    }

    @Override
    protected Step apply(LockState state, long now) {
      return LockTable.acquire(state, new Acquire(owner, mode, leaseMs, mayWait, requestId), now);
    }

    /** A queued wait starts from the state; a grant or a refusal needs only the decision. */
    @Override
    protected boolean repliesWithState(Decision decision) {
      return decision.code() == Decision.Code.QUEUED;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.ACQUIRE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(owner);
      out.writeString(mode.name());
      out.writeLong(leaseMs);
      out.writeBoolean(mayWait);
      out.writeString(requestId);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      owner = in.readString();
      mode = LockMode.valueOf(in.readString());
      leaseMs = in.readLong();
      mayWait = in.readBoolean();
      requestId = in.readString();
    }
  }

  public static final class RenewLock extends LockProcessor {
    private String owner;
    private long token;
    private long leaseMs;
    /** Null for a plain renew. */
    private LockTable.Reassertion reassertion;

    public RenewLock() {}

    public RenewLock(String owner, long token, long leaseMs, LockTable.Reassertion reassertion) {
      this.owner = owner;
      this.token = token;
      this.leaseMs = leaseMs;
      this.reassertion = reassertion;
    }

    @Override
    protected Step apply(LockState state, long now) {
      return LockTable.renew(state, owner, token, leaseMs, reassertion, now);
    }

    @Override
    protected boolean repliesWithState(Decision decision) {
      return false;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.RENEW;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(owner);
      out.writeLong(token);
      out.writeLong(leaseMs);
      out.writeString(reassertion == null ? "" : reassertion.mode().name());
      out.writeInt(reassertion == null ? 0 : reassertion.count());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      owner = in.readString();
      token = in.readLong();
      leaseMs = in.readLong();
      String mode = in.readString();
      int count = in.readInt();
      reassertion = mode == null || mode.isEmpty() ? null : new LockTable.Reassertion(LockMode.valueOf(mode), count);
    }
  }

  public static final class ReleaseLock extends LockProcessor {
    private String owner;
    private long token;

    public ReleaseLock() {}

    public ReleaseLock(String owner, long token) {
      this.owner = owner;
      this.token = token;
    }

    @Override
    protected Step apply(LockState state, long now) {
      return LockTable.release(state, owner, token, now);
    }

    @Override
    protected boolean repliesWithState(Decision decision) {
      return false;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.RELEASE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(owner);
      out.writeLong(token);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      owner = in.readString();
      token = in.readLong();
    }
  }

  public static final class ReleaseAll extends LockProcessor {
    private String owner;

    public ReleaseAll() {}

    public ReleaseAll(String owner) {
      this.owner = owner;
    }

    @Override
    protected Step apply(LockState state, long now) {
      return LockTable.releaseAll(state, owner, now);
    }

    @Override
    protected boolean repliesWithState(Decision decision) {
      return false;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.RELEASE_ALL;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(owner);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      owner = in.readString();
    }
  }

  public static final class CancelWait extends LockProcessor {
    private String waitId;
    private String reason;

    public CancelWait() {}

    public CancelWait(String waitId, String reason) {
      this.waitId = waitId;
      this.reason = reason;
    }

    @Override
    protected Step apply(LockState state, long now) {
      return LockTable.cancelWait(state, waitId, reason, now);
    }

    @Override
    public int getClassId() {
      return LockDataFactory.CANCEL_WAIT;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(waitId);
      out.writeString(reason);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      waitId = in.readString();
      reason = in.readString();
    }
  }

  /** Ends expired leases and lets waiters in; also what Inspect runs, so that it never shows an expired holder. */
  public static final class Tick extends LockProcessor {
    @Override
    protected Step apply(LockState state, long now) {
      return LockTable.tick(state, now);
    }

    @Override
    public int getClassId() {
      return LockDataFactory.TICK;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
      // no fields
    }

    @Override
    public void readData(ObjectDataInput in) {
      // no fields
    }
  }
}
