package io.pledge.lock.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.pledge.lock.table.OwnerLocks;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The entry processors of the owner index ({@link HazelcastLockStore#OWNERS_MAP}, owner to {@link OwnerLocks}). Each
 * drops the items whose time has passed, applies its change and gives the entry the time to live of its latest item,
 * so that an entry nobody touches again expires with the last lease it covers. An empty entry is removed. The backup
 * runs the same change (its clock only decides which expired items it drops first, which changes nothing a reader
 * sees) and keeps the same time to live.
 */
public final class OwnerIndexProcessors {

  private OwnerIndexProcessors() {}

  /** The change and its wire form; the common part is in {@link #process}. */
  abstract static class Change implements EntryProcessor<String, OwnerLocks, Object>, IdentifiedDataSerializable {
    private transient boolean changed;

    abstract OwnerLocks apply(OwnerLocks live, long now);

    @Override
    public final Object process(Map.Entry<String, OwnerLocks> entry) {
      long now = System.currentTimeMillis();
      OwnerLocks current = entry.getValue();
      OwnerLocks live = current == null ? OwnerLocks.EMPTY : current.live(now);
      OwnerLocks next = apply(live, now);
      if (next == current || current == null && next.isEmpty()) {
        return null; // nothing to write, nothing to back up
      }
      changed = true;
      if (next.isEmpty()) {
        entry.setValue(null);
      } else {
        ((ExtendedMapEntry<String, OwnerLocks>) entry).setValue(next, Math.max(1, next.until() - now),
            TimeUnit.MILLISECONDS);
      }
      return null;
    }

    @Override
    public final EntryProcessor<String, OwnerLocks, Object> getBackupProcessor() {
      return changed ? this : null;
    }

    @Override
    public final int getFactoryId() {
      return LockDataFactory.FACTORY_ID;
    }
  }

  /** Records that the owner holds or waits for {@code lock} (see {@link OwnerLocks#mark}). */
  public static final class Mark extends Change {
    private String lock;
    private long version;
    private long until;

    public Mark() {}

    Mark(String lock, long version, long until) {
      this.lock = lock;
      this.version = version;
      this.until = until;
    }

    @Override
    OwnerLocks apply(OwnerLocks live, long now) {
      return until > now ? live.mark(lock, version, until) : live;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.MARK_OWNER;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(lock);
      out.writeLong(version);
      out.writeLong(until);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      lock = in.readString();
      version = in.readLong();
      until = in.readLong();
    }
  }

  /** Forgets locks the owner left (see {@link OwnerLocks#unmark}). */
  public static final class Unmark extends Change {
    private Map<String, Long> versions;

    public Unmark() {}

    Unmark(Map<String, Long> versions) {
      this.versions = versions;
    }

    @Override
    OwnerLocks apply(OwnerLocks live, long now) {
      return live.unmark(versions);
    }

    @Override
    public int getClassId() {
      return LockDataFactory.UNMARK_OWNER;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(versions.size());
      for (Map.Entry<String, Long> e : versions.entrySet()) {
        out.writeString(e.getKey());
        out.writeLong(e.getValue());
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      versions = new HashMap<>(n * 2);
      for (int i = 0; i < n; i++) {
        versions.put(in.readString(), in.readLong());
      }
    }
  }

  /**
   * Reads the owner's live items: an entry processor rather than {@code getAsync}, so that a member completes it on
   * the invocation's own future (see {@link HazelcastLockStore}), and read-only, so it takes no backup.
   */
  public static final class Read implements EntryProcessor<String, OwnerLocks, OwnerLocks>, ReadOnly,
      IdentifiedDataSerializable {

    @Override
    public OwnerLocks process(Map.Entry<String, OwnerLocks> entry) {
      OwnerLocks current = entry.getValue();
      return current == null ? OwnerLocks.EMPTY : current.live(System.currentTimeMillis());
    }

    @Override
    public EntryProcessor<String, OwnerLocks, OwnerLocks> getBackupProcessor() {
      return null;
    }

    @Override
    public int getFactoryId() {
      return LockDataFactory.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.READ_OWNER;
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
