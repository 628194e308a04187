package io.pledge.lock.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import io.pledge.lock.table.LockState;
import java.io.IOException;
import java.util.Map;

/**
 * The filter of one server's change listener, evaluated on the member that made the change: only states that concern
 * that server's waits ({@link LockState#concernsWaits}) are sent to it. A change of an uncontended lock is sent to
 * nobody. (Hazelcast gives an entry processor's event no old value with the OBJECT in-memory format, so the new state
 * itself says which waits left the queue.)
 */
public final class ConcernsWaits implements Predicate<String, LockState>, IdentifiedDataSerializable {

  private String waitIdPrefix;

  public ConcernsWaits() {}

  public ConcernsWaits(String waitIdPrefix) {
    this.waitIdPrefix = waitIdPrefix;
  }

  @Override
  public boolean apply(Map.Entry<String, LockState> entry) {
    LockState s = entry.getValue();
    return s != null && s.concernsWaits(waitIdPrefix);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(waitIdPrefix);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    waitIdPrefix = in.readString();
  }

  @Override
  public int getFactoryId() {
    return LockDataFactory.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return LockDataFactory.CONCERNS_WAITS;
  }
}
