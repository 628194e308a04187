package io.pledge.lock.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a member's {@link MemberAuthority} alive: every quarter of the validity it asks every other member "am I still
 * one of yours?" and, once enough say yes for a majority (the larger of {@code cluster.quorum} and a majority of the
 * members this member sees), confirms the authority from the instant it asked. A member that no longer counts this
 * one (it was removed while paused or cut off) says no. With one member needed (a cluster of one, quorum 1) the
 * authority is confirmed without a round trip: nobody else can grant its locks.
 */
public final class AuthorityKeeper implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AuthorityKeeper.class);
  static final String EXECUTOR = "pledge-lock-authority";

  private final HazelcastInstance hazelcast;
  private final MemberAuthority authority;
  private final int quorum;
  private final ScheduledExecutorService timer;
  private final IExecutorService executor;

  private AuthorityKeeper(HazelcastInstance hazelcast, MemberAuthority authority, int quorum) {
    this.hazelcast = hazelcast;
    this.authority = authority;
    this.quorum = quorum;
    this.executor = hazelcast.getExecutorService(EXECUTOR);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pledge-lock-authority");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the rounds at once and then every quarter of the validity. */
  public static AuthorityKeeper start(HazelcastInstance hazelcast, MemberAuthority authority, int quorum) {
    AuthorityKeeper keeper = new AuthorityKeeper(hazelcast, authority, quorum);
    long period = Math.max(5, authority.validity().toMillis() / 4);
    keeper.timer.scheduleWithFixedDelay(keeper::round, 0, period, TimeUnit.MILLISECONDS);
    return keeper;
  }

  private void round() {
    try {
      long startedAt = authority.now();
      Set<Member> members = hazelcast.getCluster().getMembers();
      int others = Math.max(quorum, members.size() / 2 + 1) - 1;
      if (others <= 0) {
        authority.confirmed(startedAt);
        return;
      }
      UUID me = hazelcast.getCluster().getLocalMember().getUuid();
      AtomicInteger yes = new AtomicInteger();
      for (Member m : members) {
        if (m.localMember()) {
          continue;
        }
        executor.submitToMember(new ConfirmMember(me), m, new ExecutionCallback<Boolean>() {
          @Override
          public void onResponse(Boolean confirmed) {
            if (Boolean.TRUE.equals(confirmed) && yes.incrementAndGet() == others) {
              authority.confirmed(startedAt);
            }
          }

          @Override
          public void onFailure(Throwable t) {
            LOG.atDebug().addKeyValue("member", m.getAddress()).log("authority round trip failed: {}", t.toString());
          }
        });
      }
    } catch (RuntimeException e) {
      // Shutting down, or Hazelcast refused to send: this round confirms nothing; the next one tries again.
      LOG.atDebug().log("authority round not sent: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** Runs on another member: whether it still counts the asking member as a member of its cluster. */
  public static final class ConfirmMember implements Callable<Boolean>, IdentifiedDataSerializable,
      HazelcastInstanceAware {
    private UUID asker;
    private transient HazelcastInstance member;

    public ConfirmMember() {}

    ConfirmMember(UUID asker) {
      this.asker = asker;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
      this.member = hazelcastInstance;
    }

    @Override
    public Boolean call() {
      return member != null && member.getCluster().getMembers().stream().anyMatch(m -> m.getUuid().equals(asker));
    }

    @Override
    public int getFactoryId() {
      return LockDataFactory.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return LockDataFactory.CONFIRM_MEMBER;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(asker.getMostSignificantBits());
      out.writeLong(asker.getLeastSignificantBits());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      asker = new UUID(in.readLong(), in.readLong());
    }
  }

  /** For logs and refusals: how long the authority lasts after a confirmation. */
  public Duration validity() {
    return authority.validity();
  }
}
