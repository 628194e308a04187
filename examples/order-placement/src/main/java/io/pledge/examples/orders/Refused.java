package io.pledge.examples.orders;

/**
 * A service answered a call of the order's work with an error: {@code code} is its {@code error} field
 * ({@code OUT_OF_STOCK}, {@code INSUFFICIENT_FUNDS}, ...), {@code message} its words. The order then rolls back.
 */
final class Refused extends RuntimeException {

  private final String service;
  private final int status;
  private final String code;

  Refused(String service, int status, String code, String message) {
    super(service + " refused " + code + ": " + message);
    this.service = service;
    this.status = status;
    this.code = code;
  }

  String service() {
    return service;
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }
}
