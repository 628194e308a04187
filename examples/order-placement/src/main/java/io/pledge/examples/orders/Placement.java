package io.pledge.examples.orders;

import io.pledge.examples.orders.service.Refusal;
import io.pledge.participant.client.PledgeException;
import io.pledge.participant.client.TxResult;
import java.util.Objects;

/** How placing one order ended, as the client saw it. */
record Placement(PlannedOrder order, String txId, Result result, String detail) {

  /** The outcome, with the business reason of an abort. */
  enum Result {
    COMMITTED("committed"),
    OUT_OF_STOCK("out of stock"),
    INSUFFICIENT_FUNDS("insufficient funds"),
    /** Another refusal: a row lock not granted in time, a duplicate id, an unknown sku or customer. */
    REFUSED("other refusal"),
    /** Aborted without a refusal: a service unreachable, a no vote, a timeout. */
    FAILED("failed"),
    /** The coordinator could not be asked or did not answer: committed or not, the client cannot tell. */
    UNKNOWN("outcome unknown");

    final String label;

    Result(String label) {
      this.label = label;
    }
  }

  static final String[] REFUSAL_CODES = {Refusal.OUT_OF_STOCK, Refusal.INSUFFICIENT_FUNDS};

  Placement {
    Objects.requireNonNull(order, "order");
    Objects.requireNonNull(result, "result");
    txId = txId == null ? "" : txId;
    detail = detail == null ? "" : detail;
  }

  boolean committed() {
    return result == Result.COMMITTED;
  }

  /** Known to have rolled back: nothing of it may be in any database. */
  boolean aborted() {
    return result != Result.COMMITTED && result != Result.UNKNOWN;
  }

  /**
   * What {@code inTransaction} said: committed; or rolled back after a service refused (the refusal's code says
   * which business reason); or aborted by the coordinator (a participant's no vote names the refusal in the abort
   * detail when a client commits after a refusal).
   */
  static Placement of(PlannedOrder order, TxResult<?> r) {
    String txId = r.outcome().txId();
    if (r.committed()) {
      return new Placement(order, txId, Result.COMMITTED, "");
    }
    String because = r.outcome().cause().isEmpty() ? "" : " (" + r.outcome().cause() + ")";
    if (r.workFailure().isPresent()) {
      Throwable why = r.workFailure().get();
      Result result = why instanceof Refused refused ? byCode(refused.code(), Result.REFUSED) : Result.FAILED;
      return new Placement(order, txId, result, why.getMessage() + because);
    }
    String detail = r.outcome().detail();
    Result result = Result.FAILED;
    for (String code : REFUSAL_CODES) {
      if (detail.contains("refused: " + code)) {
        result = byCode(code, Result.FAILED);
      }
    }
    return new Placement(order, txId, result, detail + because);
  }

  static Placement unknown(PlannedOrder order, Throwable failure) {
    String txId = failure instanceof PledgeException p ? p.txId() : "";
    return new Placement(order, txId, Result.UNKNOWN, String.valueOf(failure.getMessage()));
  }

  private static Result byCode(String code, Result otherwise) {
    return switch (code) {
      case Refusal.OUT_OF_STOCK -> Result.OUT_OF_STOCK;
      case Refusal.INSUFFICIENT_FUNDS -> Result.INSUFFICIENT_FUNDS;
      default -> otherwise;
    };
  }

  /** One line for the console: the order, its outcome and why. */
  String line() {
    PlannedOrder o = order;
    String what = String.format("%s  %-6s %d x %-7s = %5d", o.id(), o.customer(), o.qty(), o.sku(), o.amount());
    String outcome = result == Result.COMMITTED ? "COMMITTED" : result == Result.UNKNOWN ? "UNKNOWN" : "ABORTED";
    String tx = txId.isEmpty() ? "" : " [tx " + txId + "]";
    return what + "  " + outcome + (detail.isEmpty() ? "" : ": " + detail) + tx;
  }
}
