package io.pledge.examples.orders;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The verdict on a {@link Snapshot}: do the three databases tell the same story, and does it match what the client
 * was told? Pure: no I/O, so every rule is tested on hand-made snapshots.
 *
 * <ol>
 *   <li>every order has exactly one reservation (same sku and qty) and exactly one payment (same customer and
 *       amount), and there is no reservation or payment without its order;</li>
 *   <li>for every sku, {@code stock + reserved = received}, and stock is not negative;</li>
 *   <li>for every wallet, {@code balance + paid = deposited}, and the balance is not negative;</li>
 *   <li>nothing in doubt: no branch in doubt, no XA branch prepared, no branch left open or marked, at any service;
 *       no unfinished transaction at the coordinator;</li>
 *   <li>every order the client saw commit is there; every order it saw abort is nowhere.</li>
 * </ol>
 */
final class ConsistencyCheck {

  /** The verdict: {@code problems} is empty when consistent. */
  record Verdict(List<String> problems, String line) {
    boolean ok() {
      return problems.isEmpty();
    }
  }

  private static final int MAX_LISTED = 10;

  private ConsistencyCheck() {}

  static Verdict check(Snapshot s, List<Placement> placements) {
    List<String> problems = new ArrayList<>();
    Map<String, Snapshot.Order> orders = unique(s.orders(), Snapshot.Order::id, "order", problems);
    Map<String, Snapshot.Reservation> reservations = unique(s.reservations(), Snapshot.Reservation::order,
        "reservation of order", problems);
    Map<String, Snapshot.Payment> payments = unique(s.payments(), Snapshot.Payment::order, "payment of order",
        problems);

    for (Snapshot.Order o : orders.values()) {
      Snapshot.Reservation r = reservations.get(o.id());
      if (r == null) {
        problems.add("order " + o.id() + " has no reservation");
      } else if (!r.sku().equals(o.sku()) || r.qty() != o.qty()) {
        problems.add("order " + o.id() + " is for " + o.qty() + " x " + o.sku() + " but reserved " + r.qty() + " x "
            + r.sku());
      }
      Snapshot.Payment p = payments.get(o.id());
      if (p == null) {
        problems.add("order " + o.id() + " has no payment");
      } else if (!p.customer().equals(o.customer()) || p.amount() != o.amount()) {
        problems.add("order " + o.id() + " costs " + o.customer() + " " + o.amount() + " but " + p.customer()
            + " paid " + p.amount());
      }
    }
    reservations.keySet().stream().filter(id -> !orders.containsKey(id)).sorted()
        .forEach(id -> problems.add("reservation without an order: " + id));
    payments.keySet().stream().filter(id -> !orders.containsKey(id)).sorted()
        .forEach(id -> problems.add("payment without an order: " + id));

    Map<String, Long> reserved = s.reservations().stream()
        .collect(Collectors.groupingBy(Snapshot.Reservation::sku, Collectors.summingLong(Snapshot.Reservation::qty)));
    for (Snapshot.Sku sku : s.skus()) {
      long r = reserved.getOrDefault(sku.sku(), 0L);
      if (sku.stock() < 0) {
        problems.add("sku " + sku.sku() + ": negative stock " + sku.stock());
      }
      if (sku.stock() + r != sku.received()) {
        problems.add("sku " + sku.sku() + ": stock " + sku.stock() + " + reserved " + r + " != received "
            + sku.received());
      }
    }
    Map<String, Long> paid = s.payments().stream()
        .collect(Collectors.groupingBy(Snapshot.Payment::customer, Collectors.summingLong(Snapshot.Payment::amount)));
    for (Snapshot.Wallet w : s.wallets()) {
      long p = paid.getOrDefault(w.customer(), 0L);
      if (w.balance() < 0) {
        problems.add("wallet " + w.customer() + ": negative balance " + w.balance());
      }
      if (w.balance() + p != w.deposited()) {
        problems.add("wallet " + w.customer() + ": balance " + w.balance() + " + paid " + p + " != deposited "
            + w.deposited());
      }
    }

    for (Snapshot.Health h : s.health()) {
      if (!h.settled()) {
        problems.add(h.service() + " not settled: in doubt " + h.inDoubt() + ", prepared XA branches "
            + h.xaPrepared() + ", open branches " + h.openBranches() + ", rollback-only " + h.rollbackOnly());
      }
    }
    if (s.unfinished() != 0) {
      problems.add("the coordinator has " + s.unfinished() + " unfinished transaction(s)");
    }

    for (Placement p : placements) {
      String id = p.order().id();
      if (p.committed() && !orders.containsKey(id)) {
        problems.add("order " + id + " committed (tx " + p.txId() + ") but is not in the orders database");
      } else if (p.aborted() && (orders.containsKey(id) || reservations.containsKey(id) || payments.containsKey(id))) {
        problems.add("order " + id + " aborted (tx " + p.txId() + ") but left rows behind: order "
            + orders.containsKey(id) + ", reservation " + reservations.containsKey(id) + ", payment "
            + payments.containsKey(id));
      }
    }
    return new Verdict(List.copyOf(problems), line(s, problems));
  }

  private static String line(Snapshot s, List<String> problems) {
    int inDoubt = s.health().stream().mapToInt(Snapshot.Health::inDoubt).sum();
    int prepared = s.health().stream().mapToInt(Snapshot.Health::xaPrepared).sum();
    String counts = String.format("%d orders, %d reservations, %d payments; stock + reserved = received for %d skus,"
        + " balance + paid = deposited for %d wallets; in doubt %d, prepared XA branches %d, unfinished coordinator"
        + " transactions %d", s.orders().size(), s.reservations().size(), s.payments().size(), s.skus().size(),
        s.wallets().size(), inDoubt, prepared, s.unfinished());
    if (problems.isEmpty()) {
      return "CONSISTENT: " + counts;
    }
    String listed = problems.stream().limit(MAX_LISTED).collect(Collectors.joining("; "));
    return "INCONSISTENT (" + problems.size() + " problem(s)): " + listed
        + (problems.size() > MAX_LISTED ? "; ..." : "") + " [" + counts + "]";
  }

  private static <T> Map<String, T> unique(List<T> rows, Function<T, String> key, String what, List<String> problems) {
    Map<String, T> byKey = new HashMap<>();
    for (T row : rows) {
      if (byKey.putIfAbsent(key.apply(row), row) != null) {
        problems.add(what + " " + key.apply(row) + " appears more than once");
      }
    }
    return byKey;
  }
}
