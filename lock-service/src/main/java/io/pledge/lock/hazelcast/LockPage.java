package io.pledge.lock.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import io.pledge.lock.table.LockState;
import java.io.IOException;
import java.util.Comparator;
import java.util.Map;

/**
 * Selects the locks of one page of a listing: held or awaited, named with {@code prefix}, after {@code after} in
 * name order. Runs on the members that own the entries (with {@link ByName} inside a paging predicate, each member
 * returns at most one page), so a listing never pulls the whole map.
 */
public final class LockPage implements Predicate<String, LockState>, IdentifiedDataSerializable {

  private String prefix;
  private String after;

  public LockPage() {}

  /** @param after the last name of the previous page, or empty for the first page */
  public LockPage(String prefix, String after) {
    this.prefix = prefix;
    this.after = after;
  }

  @Override
  public boolean apply(Map.Entry<String, LockState> entry) {
    String name = entry.getKey();
    LockState s = entry.getValue();
    return s != null && !s.isIdle() && name.startsWith(prefix) && name.compareTo(after) > 0;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(prefix);
    out.writeString(after);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    prefix = in.readString();
    after = in.readString();
  }

  @Override
  public int getFactoryId() {
    return LockDataFactory.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return LockDataFactory.LOCK_PAGE;
  }

  /** Name order ({@link String#compareTo}, the order {@link LockPage} pages by). */
  public static final class ByName
      implements Comparator<Map.Entry<String, LockState>>, IdentifiedDataSerializable {

    @Override
    public int compare(Map.Entry<String, LockState> a, Map.Entry<String, LockState> b) {
      return a.getKey().compareTo(b.getKey());
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}

    @Override
    public int getFactoryId() {
      return LockDataFactory.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.BY_NAME;
    }
  }
}
