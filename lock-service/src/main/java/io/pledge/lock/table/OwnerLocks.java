package io.pledge.lock.table;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One owner's entry in the owner index: the locks it holds or waits for, so that ReleaseAll looks them up instead of
 * scanning every lock. Immutable; pure (the clock is a parameter).
 *
 * <p>Each lock is stamped with the lock state's {@code version} at which the owner's grant or wait was written, and
 * with a time {@code until} which it cannot outlive (its lease end, or a wait's deadline plus its lease, plus a
 * margin for clock differences between members). The stamps make the index safe to keep from outside the lock's
 * entry processor, with no atomicity across the two maps:
 * <ul>
 *   <li>a removal carries the version of the lock state in which the owner left the lock, and removes only an
 *       item written at or before it: a later grant or wait of the same owner (a higher version) survives a removal
 *       that arrives late;</li>
 *   <li>an item whose {@code until} has passed is dropped ({@link #live}): a lock left to its lease, or an item
 *       whose removal was lost, disappears by itself. The store gives the whole entry the same time to live, so an
 *       owner nobody touches again leaves nothing behind.</li>
 * </ul>
 * A lock the index misses is never released by ReleaseAll; it ends with its lease. An item for a lock the owner no
 * longer has costs ReleaseAll one idempotent no-op.
 */
public record OwnerLocks(List<Item> items) {

  /** A lock of the owner: the lock state's version when written, and the time (ms) it cannot outlive. */
  public record Item(String lock, long version, long until) {
    public Item {
      Objects.requireNonNull(lock, "lock");
    }
  }

  public static final OwnerLocks EMPTY = new OwnerLocks(List.of());

  public OwnerLocks {
    items = List.copyOf(items);
  }

  /**
   * With {@code lock} recorded at {@code version} until {@code until}. An item already newer (a higher version:
   * written by a later change of the lock) keeps its stamp; the later {@code until} is kept either way.
   */
  public OwnerLocks mark(String lock, long version, long until) {
    List<Item> out = new ArrayList<>(items.size() + 1);
    boolean found = false;
    for (Item i : items) {
      if (i.lock().equals(lock)) {
        out.add(new Item(lock, Math.max(i.version(), version), Math.max(i.until(), until)));
        found = true;
      } else {
        out.add(i);
      }
    }
    if (!found) {
      out.add(new Item(lock, version, until));
    }
    return new OwnerLocks(out);
  }

  /** Without the given locks, each unless its item was written after the version given for it. */
  public OwnerLocks unmark(Map<String, Long> versions) {
    List<Item> out = new ArrayList<>(items.size());
    for (Item i : items) {
      Long left = versions.get(i.lock());
      if (left == null || i.version() > left) {
        out.add(i);
      }
    }
    return out.size() == items.size() ? this : new OwnerLocks(out);
  }

  /** Without the items whose time has passed at {@code now}. */
  public OwnerLocks live(long now) {
    List<Item> out = new ArrayList<>(items.size());
    for (Item i : items) {
      if (i.until() > now) {
        out.add(i);
      }
    }
    return out.size() == items.size() ? this : new OwnerLocks(out);
  }

  /** The latest {@code until}: when the whole entry may go ({@link Long#MIN_VALUE} when empty). */
  public long until() {
    long max = Long.MIN_VALUE;
    for (Item i : items) {
      max = Math.max(max, i.until());
    }
    return max;
  }

  public boolean isEmpty() {
    return items.isEmpty();
  }

  public List<String> locks() {
    return items.stream().map(Item::lock).toList();
  }
}
