package io.pledge.lock.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.LockOp;
import io.pledge.lock.table.LockTable;
import io.pledge.lock.table.LockTable.Acquire;
import java.io.IOException;

/** One small processor per {@link LockOp}; each only carries its operation across the wire. */
public final class Processors {

  private Processors() {}

  /** The entry processor that runs {@code op} on the member owning the lock. */
  public static LockProcessor of(LockOp op) {
    // Java 17: no pattern matching in switch yet; the sealed interface keeps this list complete.
    if (op instanceof LockOp.Acquire a) {
      return new AcquireLock(a);
    } else if (op instanceof LockOp.Renew r) {
      return new RenewLock(r);
    } else if (op instanceof LockOp.Release r) {
      return new ReleaseLock(r);
    } else if (op instanceof LockOp.ReleaseAll r) {
      return new ReleaseAll(r);
    } else if (op instanceof LockOp.CancelWait c) {
      return new CancelWait(c);
    } else if (op instanceof LockOp.Tick) {
      return new Tick();
    }
    throw new IllegalArgumentException("no processor for " + op);
  }

  public static final class AcquireLock extends LockProcessor {
    private LockOp.Acquire op;

    public AcquireLock() {}

    AcquireLock(LockOp.Acquire op) {
      this.op = op;
    }

    @Override
    protected LockOp op() {
      return op;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.ACQUIRE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      Acquire r = op.request();
      out.writeString(r.owner());
      out.writeString(r.mode().name());
      out.writeLong(r.leaseMs());
      out.writeBoolean(r.mayWait());
      out.writeString(r.requestId());
      out.writeString(r.identity());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      op = new LockOp.Acquire(new Acquire(in.readString(), LockMode.valueOf(in.readString()), in.readLong(),
          in.readBoolean(), in.readString(), in.readString()));
    }
  }

  public static final class RenewLock extends LockProcessor {
    private LockOp.Renew op;

    public RenewLock() {}

    RenewLock(LockOp.Renew op) {
      this.op = op;
    }

    @Override
    protected LockOp op() {
      return op;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.RENEW;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(op.owner());
      out.writeLong(op.token());
      out.writeLong(op.leaseMs());
      LockTable.Reassertion r = op.reassertion();
      out.writeString(r == null ? "" : r.mode().name());
      out.writeInt(r == null ? 0 : r.count());
      out.writeString(op.caller());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      String owner = in.readString();
      long token = in.readLong();
      long leaseMs = in.readLong();
      String mode = in.readString();
      int count = in.readInt();
      String caller = in.readString();
      op = new LockOp.Renew(owner, token, leaseMs, mode == null || mode.isEmpty() ? null
          : new LockTable.Reassertion(LockMode.valueOf(mode), count), caller);
    }
  }

  public static final class ReleaseLock extends LockProcessor {
    private LockOp.Release op;

    public ReleaseLock() {}

    ReleaseLock(LockOp.Release op) {
      this.op = op;
    }

    @Override
    protected LockOp op() {
      return op;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.RELEASE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(op.owner());
      out.writeLong(op.token());
      out.writeString(op.caller());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      op = new LockOp.Release(in.readString(), in.readLong(), in.readString());
    }
  }

  public static final class ReleaseAll extends LockProcessor {
    private LockOp.ReleaseAll op;

    public ReleaseAll() {}

    ReleaseAll(LockOp.ReleaseAll op) {
      this.op = op;
    }

    @Override
    protected LockOp op() {
      return op;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.RELEASE_ALL;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(op.owner());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      op = new LockOp.ReleaseAll(in.readString());
    }
  }

  public static final class CancelWait extends LockProcessor {
    private LockOp.CancelWait op;

    public CancelWait() {}

    CancelWait(LockOp.CancelWait op) {
      this.op = op;
    }

    @Override
    protected LockOp op() {
      return op;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.CANCEL_WAIT;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(op.waitId());
      out.writeString(op.reason());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      op = new LockOp.CancelWait(in.readString(), in.readString());
    }
  }

  /** Ends expired leases and lets waiters in; also what Inspect runs, so that it never shows an expired holder. */
  public static final class Tick extends LockProcessor {
    private static final LockOp.Tick OP = new LockOp.Tick();

    @Override
    protected LockOp op() {
      return OP;
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
