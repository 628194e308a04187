package io.pledge.lock.table;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything known about one lock: the value kept per lock name in the cluster. Immutable; {@link LockTable} derives
 * new states from old ones.
 *
 * @param name the lock name
 * @param holders current grants, in grant order
 * @param waiters FIFO queue (an upgrade waiter goes first: it already holds the lock shared)
 * @param lastToken the last fencing token issued for this lock
 * @param notBefore lock-delay: no new grant before this member wall-clock time (0: none)
 * @param version incremented on every change, so that a listener can drop stale notifications
 * @param lastWriter id of the cluster member that last changed this state (who owned its partition)
 * @param cancellations the last few waits withdrawn by others, with the reason
 * @param departed ids of the waits that left the queue (granted or withdrawn) in the change that produced this state:
 *     what lets a change notification go only to the servers whose waits it concerns ({@link #concernsWaits})
 */
public record LockState(String name, List<Holder> holders, List<Waiter> waiters, long lastToken, long notBefore,
    long version, String lastWriter, List<Cancellation> cancellations, List<String> departed) {

  /** How many cancellations are remembered: enough for a server to see its own before it is pushed out. */
  public static final int MAX_CANCELLATIONS = 16;

  public LockState {
    Objects.requireNonNull(name, "name");
    holders = List.copyOf(holders);
    waiters = List.copyOf(waiters);
    cancellations = List.copyOf(cancellations);
    departed = List.copyOf(departed);
    lastWriter = lastWriter == null ? "" : lastWriter;
    long exclusive = holders.stream().filter(h -> h.mode() == LockMode.EXCLUSIVE).count();
    if (exclusive > 0 && holders.size() > 1) {
      throw new IllegalStateException("lock " + name + " has an exclusive holder among " + holders.size());
    }
  }

  /** A state with no departed waits. */
  public LockState(String name, List<Holder> holders, List<Waiter> waiters, long lastToken, long notBefore,
      long version, String lastWriter, List<Cancellation> cancellations) {
    this(name, holders, waiters, lastToken, notBefore, version, lastWriter, cancellations, List.of());
  }

  public static LockState empty(String name) {
    return new LockState(name, List.of(), List.of(), 0, 0, 0, "", List.of());
  }

  /**
   * Whether this state matters to the waits whose ids start with {@code waitIdPrefix} (one server's waits): one of
   * them is queued here, or one of them left the queue in the change that produced this state.
   */
  public boolean concernsWaits(String waitIdPrefix) {
    for (Waiter w : waiters) {
      if (w.waitId().startsWith(waitIdPrefix)) {
        return true;
      }
    }
    for (String id : departed) {
      if (id.startsWith(waitIdPrefix)) {
        return true;
      }
    }
    return false;
  }

  public Optional<Holder> holder(String owner) {
    return holders.stream().filter(h -> h.owner().equals(owner)).findFirst();
  }

  public Optional<Waiter> waiterFor(String owner) {
    return waiters.stream().filter(w -> w.owner().equals(owner)).findFirst();
  }

  /**
   * Where {@code owner} stands on this lock, for the owner index: {@link Reply#WAITING} if it waits (an upgrade waits
   * while it holds), the end of its lease if it only holds, {@code 0} if neither.
   */
  public long presenceOf(String owner) {
    if (waiterFor(owner).isPresent()) {
      return Reply.WAITING;
    }
    return holder(owner).map(Holder::expiresAt).orElse(0L);
  }

  public Optional<Waiter> waiter(String waitId) {
    return waiters.stream().filter(w -> w.waitId().equals(waitId)).findFirst();
  }

  /** The grant made for wait {@code waitId}, if that wait has been granted and is still held. */
  public Optional<Holder> grantedBy(String waitId) {
    return holders.stream().filter(h -> h.grantId().equals(waitId)).findFirst();
  }

  public Optional<Cancellation> cancellation(String waitId) {
    return cancellations.stream().filter(c -> c.waitId().equals(waitId)).findFirst();
  }

  /** 1-based queue position of the wait, or 0 if it is not queued. */
  public int position(String waitId) {
    for (int i = 0; i < waiters.size(); i++) {
      if (waiters.get(i).waitId().equals(waitId)) {
        return i + 1;
      }
    }
    return 0;
  }

  /**
   * The owners the wait is blocked by: the holders it conflicts with and the conflicting waiters ahead of it (FIFO
   * means it will not pass them). This is the wait's edge set in the wait-for graph.
   */
  public List<String> blockedBy(String waitId) {
    Optional<Waiter> me = waiter(waitId);
    if (me.isEmpty()) {
      return List.of();
    }
    Waiter w = me.get();
    List<String> out = new ArrayList<>();
    for (Holder h : holders) {
      if (!h.owner().equals(w.owner()) && !(h.mode().compatibleWith(w.mode()))) {
        out.add(h.owner());
      }
    }
    for (Waiter ahead : waiters) {
      if (ahead.waitId().equals(waitId)) {
        break;
      }
      if (!ahead.owner().equals(w.owner()) && !ahead.mode().compatibleWith(w.mode()) && !out.contains(ahead.owner())) {
        out.add(ahead.owner());
      }
    }
    return out;
  }

  /** When something may change by itself (a lease ends, the lock-delay passes), or {@link Long#MAX_VALUE}. */
  public long nextWakeAt(long now) {
    long at = Long.MAX_VALUE;
    for (Holder h : holders) {
      at = Math.min(at, h.expiresAt());
    }
    if (notBefore > now && !waiters.isEmpty()) {
      at = Math.min(at, notBefore);
    }
    return at;
  }

  public boolean isIdle() {
    return holders.isEmpty() && waiters.isEmpty();
  }

  /**
   * The next state. A holder that leaves folds its token into {@code lastToken}: a re-asserted grant (see
   * {@link LockTable#renew}) has a token this state never issued, and the next grant must still come above it.
   */
  LockState with(List<Holder> newHolders, List<Waiter> newWaiters, long newLastToken, List<Cancellation> newCancels) {
    long last = newLastToken;
    for (Holder h : holders) {
      if (h.token() > last && newHolders.stream().noneMatch(n -> n.token() == h.token())) {
        last = h.token();
      }
    }
    return new LockState(name, newHolders, newWaiters, last, notBefore, version + 1, lastWriter, newCancels);
  }

  /** The same state marked as written by {@code member}. */
  public LockState writtenBy(String member) {
    return new LockState(name, holders, waiters, lastToken, notBefore, version, member, cancellations, departed);
  }

  /** The same state, recording which of {@code before}'s waits are no longer queued here (see {@link #departed}). */
  public LockState departedSince(LockState before) {
    List<String> gone = new ArrayList<>();
    for (Waiter w : before.waiters) {
      if (waiter(w.waitId()).isEmpty()) {
        gone.add(w.waitId());
      }
    }
    if (gone.isEmpty() && departed.isEmpty()) {
      return this;
    }
    return new LockState(name, holders, waiters, lastToken, notBefore, version, lastWriter, cancellations, gone);
  }

  /** Lock-delay: no new grant before {@code until} (never shortens an existing delay). */
  public LockState delayedUntil(long until) {
    if (until <= notBefore) {
      return this;
    }
    return new LockState(name, holders, waiters, lastToken, until, version + 1, lastWriter, cancellations);
  }
}
