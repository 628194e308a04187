package io.pledge.lock.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import io.pledge.lock.table.LockState;
import java.io.IOException;
import java.util.Map;

/** Selects the locks an owner holds or waits for: how ReleaseAll finds them without a separate index to keep. */
public final class HeldOrAwaitedBy implements Predicate<String, LockState>, IdentifiedDataSerializable {

  private String owner;

  public HeldOrAwaitedBy() {}

  public HeldOrAwaitedBy(String owner) {
    this.owner = owner;
  }

  @Override
  public boolean apply(Map.Entry<String, LockState> entry) {
    LockState s = entry.getValue();
    return s != null && (s.holder(owner).isPresent() || s.waiterFor(owner).isPresent());
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
  }

  @Override
  public int getFactoryId() {
    return LockDataFactory.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return LockDataFactory.HELD_OR_AWAITED_BY;
  }
}
