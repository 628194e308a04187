package io.pledge.coordinator.state;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A transaction id, {@code node:epoch:sequence}: the coordinator that owns it, that coordinator's boot count (kept
 * in its log, so ids never repeat across restarts) and a counter within that boot. Ordering is by node, epoch,
 * then sequence, which is begin order within one coordinator.
 */
public record TxId(String node, long epoch, long sequence) implements Comparable<TxId> {

  public static final int MAX_LENGTH = 128;
  private static final String NODE_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
  // Compiled once: String.matches compiles its regex on every call, and ids are parsed and made on every request.
  private static final Pattern NODE = Pattern.compile(NODE_PATTERN);
  private static final Pattern NUMBER_OF_ANY_FORM = Pattern.compile("\\s*[+-]?[0-9]+\\s*");
  private static final Pattern CANONICAL_NUMBER = Pattern.compile("[1-9][0-9]{0,18}");

  public TxId {
    Objects.requireNonNull(node, "node");
    if (!isValidNode(node)) {
      throw new IllegalArgumentException("node id '" + node + "' must match " + NODE_PATTERN);
    }
    if (epoch < 1 || sequence < 1) {
      throw new IllegalArgumentException("epoch and sequence must be positive");
    }
  }

  public static boolean isValidNode(String node) {
    return node != null && NODE.matcher(node).matches();
  }

  /**
   * Parses {@code node:epoch:sequence}.
   *
   * @throws IllegalArgumentException with a message fit for a user
   */
  public static TxId parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("transaction id is empty");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("transaction id is longer than " + MAX_LENGTH + " characters");
    }
    String[] parts = text.split(":", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("transaction id '" + text + "' is not of the form node:epoch:sequence");
    }
    // One canonical form only: Long.parseLong would also take "+1" and "01", so that two texts named one
    // transaction (and a client comparing ids as strings would be misled).
    // A number with a sign, leading zeros or blanks around it is a number all the same, but not the canonical one.
    if (!NUMBER_OF_ANY_FORM.matcher(parts[1]).matches() || !NUMBER_OF_ANY_FORM.matcher(parts[2]).matches()) {
      throw new IllegalArgumentException("transaction id '" + text + "' has a non-numeric epoch or sequence");
    }
    if (!CANONICAL_NUMBER.matcher(parts[1]).matches() || !CANONICAL_NUMBER.matcher(parts[2]).matches()) {
      throw new IllegalArgumentException("transaction id '" + text + "' is not canonical: epoch and sequence are"
          + " positive decimal numbers without sign or leading zeros");
    }
    try {
      return new TxId(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("transaction id '" + text + "' has a non-numeric epoch or sequence");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("transaction id '" + text + "' is malformed: " + e.getMessage());
    }
  }

  @Override
  public int compareTo(TxId o) {
    int c = node.compareTo(o.node);
    if (c != 0) {
      return c;
    }
    c = Long.compare(epoch, o.epoch);
    return c != 0 ? c : Long.compare(sequence, o.sequence);
  }

  @Override
  public String toString() {
    return node + ":" + epoch + ":" + sequence;
  }
}
