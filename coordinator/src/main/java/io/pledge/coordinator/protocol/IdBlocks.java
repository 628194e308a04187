package io.pledge.coordinator.protocol;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The blocks of transaction ids this coordinator handed out in its current epoch (ReserveTransactionIds), and which
 * of their ids have begun a transaction. Pure bookkeeping, no I/O, one thread (the manager's context).
 *
 * <p>An id of a block is <em>free</em> until the first Commit, Rollback or Enlist naming it claims it; a claimed id
 * never becomes free again, so one id begins at most one transaction. A free id past its block's expiry is
 * <em>expired</em>: it will never begin one (presumed abort, as a Begun transaction that timed out). Blocks leave
 * after their expiry plus {@code retention}; their ids are then answered from the log like any other issued id.
 * Blocks are not logged: a restart (a new leader) takes a new epoch, and every id of an earlier epoch that the log
 * does not know is presumed aborted, claimed or not.
 */
final class IdBlocks {

  /** Most ids in one block. */
  static final int MAX_BLOCK = 1000;

  /** What an id of this epoch is to the blocks. */
  enum State {
    /** In a live block and not claimed yet. */
    FREE,
    /** In a block, its expiry passed unclaimed. */
    EXPIRED,
    /** Claimed, or in no block this table still holds. */
    UNKNOWN
  }

  /** One reservation. */
  record Block(long first, int count, long expiresAtMillis, String owner, String caller, BitSet claimed) {
    boolean contains(long sequence) {
      return sequence >= first && sequence < first + count;
    }
  }

  private final NavigableMap<Long, Block> blocks = new TreeMap<>();
  private final Map<String, Integer> liveByCaller = new HashMap<>();
  private final int maxBlocks;
  private final int maxPerCaller;
  private final long retentionMillis;

  /**
   * @param maxBlocks blocks held at most, all callers together
   * @param maxPerCaller unexpired blocks with ids left to begin one caller may hold
   * @param retentionMillis how long an expired block is kept to answer "expired" rather than "unknown"
   */
  IdBlocks(int maxBlocks, int maxPerCaller, long retentionMillis) {
    this.maxBlocks = maxBlocks;
    this.maxPerCaller = maxPerCaller;
    this.retentionMillis = retentionMillis;
  }

  /** Null when another block would pass a bound; else why not (a message naming the bound). */
  String refusal(String caller, long nowMillis) {
    prune(nowMillis);
    if (blocks.size() >= maxBlocks) {
      return "the coordinator holds " + blocks.size() + " blocks of reserved transaction ids, its bound; use Begin,"
          + " or try again after some expire";
    }
    int live = liveByCaller.getOrDefault(caller, 0);
    if (live >= maxPerCaller) {
      return "caller " + caller + " holds " + live + " unexpired blocks of transaction ids, the bound per caller;"
          + " use the ids it has";
    }
    return null;
  }

  /** Records a block the caller checked with {@link #refusal} first. */
  Block add(long first, int count, long expiresAtMillis, String owner, String caller) {
    if (count < 1 || count > MAX_BLOCK) {
      throw new IllegalArgumentException("block of " + count + " ids");
    }
    Block block = new Block(first, count, expiresAtMillis, owner, caller, new BitSet(count));
    blocks.put(first, block);
    liveByCaller.merge(caller, 1, Integer::sum);
    return block;
  }

  /** The block holding {@code sequence}, if this table still has it. */
  Block blockOf(long sequence) {
    Map.Entry<Long, Block> e = blocks.floorEntry(sequence);
    return e != null && e.getValue().contains(sequence) ? e.getValue() : null;
  }

  State state(long sequence, long nowMillis) {
    Block block = blockOf(sequence);
    if (block == null || block.claimed().get((int) (sequence - block.first()))) {
      return State.UNKNOWN;
    }
    return nowMillis < block.expiresAtMillis() ? State.FREE : State.EXPIRED;
  }

  /** Claims a {@link State#FREE} id; from now on it is {@link State#UNKNOWN} here (the manager knows it). */
  void claim(long sequence, long nowMillis) {
    if (state(sequence, nowMillis) != State.FREE) {
      throw new IllegalStateException("sequence " + sequence + " is not free");
    }
    Block block = blockOf(sequence);
    block.claimed().set((int) (sequence - block.first()));
    if (block.claimed().cardinality() == block.count()) {
      // Every id begun: the manager answers for each, and the block no longer counts against its caller.
      blocks.remove(block.first());
      if (nowMillis < block.expiresAtMillis()) {
        liveByCaller.computeIfPresent(block.caller(), (c, n) -> n <= 1 ? null : n - 1);
      }
    }
  }

  int size() {
    return blocks.size();
  }

  /** Drops blocks past their expiry plus the retention; expired ones stop counting against their caller. */
  void prune(long nowMillis) {
    for (Iterator<Block> it = blocks.values().iterator(); it.hasNext(); ) {
      Block b = it.next();
      if (nowMillis >= b.expiresAtMillis() + retentionMillis) {
        it.remove();
      }
    }
    liveByCaller.clear();
    for (Block b : blocks.values()) {
      if (nowMillis < b.expiresAtMillis()) {
        liveByCaller.merge(b.caller(), 1, Integer::sum);
      }
    }
  }
}
