package io.pledge.examples.orders.service;

import java.sql.SQLException;
import java.util.Objects;

/**
 * A service said no to the work asked of it: a business outcome (sold out, a short wallet, a duplicate order), not
 * a fault. It travels as the HTTP status and a JSON body {@code {"error": code, "message": ...}}, and the branch it
 * happened in is marked rollback-only ({@link RollbackOnlyResource}).
 *
 * <p>An {@link SQLException}, so that JDBC work ({@code SqlWork}) can throw it as it is.
 */
public final class Refusal extends SQLException {

  public static final String OUT_OF_STOCK = "OUT_OF_STOCK";
  public static final String INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS";
  public static final String DUPLICATE_ORDER = "DUPLICATE_ORDER";
  public static final String UNKNOWN_SKU = "UNKNOWN_SKU";
  public static final String UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER";
  /** A row lock not granted in time: another order holds it; trying again later may succeed. */
  public static final String BUSY = "BUSY";

  private final int httpStatus;
  private final String code;

  private Refusal(int httpStatus, String code, String message) {
    super(message);
    this.httpStatus = httpStatus;
    this.code = Objects.requireNonNull(code, "code");
  }

  /** 409: the request is fine, the state of the data refuses it. */
  public static Refusal conflict(String code, String message) {
    return new Refusal(409, code, message);
  }

  /** 404: the request names something that does not exist. */
  public static Refusal notFound(String code, String message) {
    return new Refusal(404, code, message);
  }

  /** 500: the work failed for a reason that is not the data's answer (a bug, a broken database). */
  public static Refusal fault(String message) {
    return new Refusal(500, "INTERNAL", message);
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String code() {
    return code;
  }
}
