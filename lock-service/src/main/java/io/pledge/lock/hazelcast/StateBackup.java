package io.pledge.lock.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.Reply;
import java.io.IOException;
import java.util.Map;

/** Puts on a backup replica exactly the state the primary computed (the rule is not re-run with another clock). */
public final class StateBackup implements EntryProcessor<String, LockState, Reply>, IdentifiedDataSerializable {

  private LockState state;

  public StateBackup() {}

  StateBackup(LockState state) {
    this.state = state;
  }

  @Override
  public Reply process(Map.Entry<String, LockState> entry) {
    entry.setValue(state);
    return null;
  }

  @Override
  public EntryProcessor<String, LockState, Reply> getBackupProcessor() {
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeObject(state);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    state = in.readObject();
  }

  @Override
  public int getFactoryId() {
    return LockDataFactory.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return LockDataFactory.STATE_BACKUP;
  }
}
