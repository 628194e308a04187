package io.pledge.coordinator.protocol;

/**
 * Which sequence numbers of a transaction id ({@code node:epoch:sequence}) one of {@code managers} transaction
 * managers issues, so that a transaction's manager is a pure function of its id ({@link #owner}) and every gRPC call
 * naming it is routed there without any shared table.
 *
 * <p>The sequence space is cut into slots of {@value #SLOT} sequences (slot 0 is 1..1024, slot 1 is 1025..2048 and
 * so on); slot {@code s} belongs to manager {@code s % managers}. A manager issues sequences in order from its own
 * slots only: the next sequence of its current slot, then the first of its next slot. With one manager every slot
 * is its own, and ids are {@code node:epoch:1, 2, 3, ...} as they always were.
 *
 * <p>Pure and not thread-safe: a space belongs to one manager and is used on its context only.
 */
public final class SequenceSpace {

  /** Sequences per slot; also the largest block {@link #reserve} hands out. */
  public static final int SLOT = 1024;

  private final int index;
  private final int managers;
  /**
   * The next sequence to hand out, always in one of this space's slots. Every sequence of this space below it was
   * issued, or skipped by {@link #reserve}: either way it is never issued later.
   */
  private long next;

  /** The space of manager {@code index} (0-based) of {@code managers}. */
  public SequenceSpace(int index, int managers) {
    if (managers < 1 || index < 0 || index >= managers) {
      throw new IllegalArgumentException("manager " + index + " of " + managers + ": need 0 <= index < managers");
    }
    this.index = index;
    this.managers = managers;
    this.next = first(index);
  }

  /** The whole space: one manager issues every sequence. */
  public static SequenceSpace single() {
    return new SequenceSpace(0, 1);
  }

  /** The manager (0-based) of {@code managers} that issues, and so owns, {@code sequence}. */
  public static int owner(long sequence, int managers) {
    if (sequence < 1 || managers < 1) {
      throw new IllegalArgumentException("sequence " + sequence + " of " + managers
          + " managers: both must be positive");
    }
    return (int) (slot(sequence) % managers);
  }

  /** Whether this space's manager owns {@code sequence} (issued or not). */
  public boolean owns(long sequence) {
    return sequence >= 1 && owner(sequence, managers) == index;
  }

  /** The next sequence: larger than every one issued before by this space. */
  public long next() {
    return reserve(1);
  }

  /**
   * A contiguous block of {@code count} sequences, {@code [first, first + count)}, all in one slot of this space, so
   * that the whole block routes to this manager; returns {@code first}. When the current slot has fewer than
   * {@code count} left, they are skipped (never issued) and the block starts the next slot of this space.
   */
  public long reserve(int count) {
    if (count < 1 || count > SLOT) {
      throw new IllegalArgumentException("a block of " + count + " sequences: must be 1.." + SLOT);
    }
    long slot = slot(next);
    if (first(slot + 1) - next < count) {
      slot += managers;
      next = first(slot);
    }
    long issued = next;
    next += count;
    if (slot(next) != slot) {
      // The slot is used up: the next slot of this space is managers slots further on.
      next = first(slot + managers);
    }
    return issued;
  }

  /**
   * Whether {@code sequence} was handed out by this space (or skipped by it, which is never issued later): what
   * "was this transaction begun here" means for the current epoch. False for another manager's sequences.
   */
  public boolean issued(long sequence) {
    return owns(sequence) && sequence < next;
  }

  public int index() {
    return index;
  }

  public int managers() {
    return managers;
  }

  private static long slot(long sequence) {
    return (sequence - 1) / SLOT;
  }

  private static long first(long slot) {
    return slot * SLOT + 1;
  }

  @Override
  public String toString() {
    return "SequenceSpace[" + index + " of " + managers + ", next " + next + "]";
  }
}
