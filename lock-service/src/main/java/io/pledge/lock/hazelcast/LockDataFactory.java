package io.pledge.lock.hazelcast;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Creates the lock service's processors and predicates on the members (IdentifiedDataSerializable, no reflection). */
public final class LockDataFactory implements DataSerializableFactory {

  /** "PLGL": unlikely to clash with another application's factory on a shared cluster. */
  public static final int FACTORY_ID = 0x504C474C;
  static final int ACQUIRE = 1;
  static final int RENEW = 2;
  static final int RELEASE = 3;
  static final int RELEASE_ALL = 4;
  static final int CANCEL_WAIT = 5;
  static final int TICK = 6;
  static final int STATE_BACKUP = 7;
  // 8 was HeldOrAwaitedBy, ReleaseAll's predicate before the owner index: not to be reused.
  static final int LOCK_PAGE = 9;
  static final int BY_NAME = 10;
  static final int CONCERNS_WAITS = 11;
  static final int CONFIRM_MEMBER = 12;
  static final int MARK_OWNER = 13;
  static final int UNMARK_OWNER = 14;
  static final int READ_OWNER = 15;

  @Override
  public IdentifiedDataSerializable create(int typeId) {
    return switch (typeId) {
      case ACQUIRE -> new Processors.AcquireLock();
      case RENEW -> new Processors.RenewLock();
      case RELEASE -> new Processors.ReleaseLock();
      case RELEASE_ALL -> new Processors.ReleaseAll();
      case CANCEL_WAIT -> new Processors.CancelWait();
      case TICK -> new Processors.Tick();
      case STATE_BACKUP -> new StateBackup();
      case LOCK_PAGE -> new LockPage();
      case BY_NAME -> new LockPage.ByName();
      case CONCERNS_WAITS -> new ConcernsWaits();
      case CONFIRM_MEMBER -> new AuthorityKeeper.ConfirmMember();
      case MARK_OWNER -> new OwnerIndexProcessors.Mark();
      case UNMARK_OWNER -> new OwnerIndexProcessors.Unmark();
      case READ_OWNER -> new OwnerIndexProcessors.Read();
      default -> throw new IllegalArgumentException("unknown lock-service type id " + typeId);
    };
  }
}
