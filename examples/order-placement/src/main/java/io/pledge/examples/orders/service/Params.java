package io.pledge.examples.orders.service;

import io.vertx.core.MultiMap;
import java.util.Objects;

/**
 * The query parameters of a request, read with validation: a missing or malformed one is an
 * {@link IllegalArgumentException} whose message names it (the service answers 400 with that message).
 */
public final class Params {

  /** Longest id or name accepted (order ids, skus, customers). */
  public static final int MAX_TEXT = 64;

  private final MultiMap params;

  public Params(MultiMap params) {
    this.params = Objects.requireNonNull(params, "params");
  }

  /** A non-blank id of at most {@link #MAX_TEXT} letters, digits, '-', '_' or '.'. */
  public String id(String name) {
    String value = params.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("parameter '" + name + "' is missing");
    }
    if (value.length() > MAX_TEXT || !value.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("parameter '" + name + "' must be 1.." + MAX_TEXT
          + " letters, digits, '.', '_' or '-', got '" + abbreviate(value) + "'");
    }
    return value;
  }

  /** A whole number above zero. */
  public long positive(String name) {
    String value = params.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("parameter '" + name + "' is missing");
    }
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("parameter '" + name + "' must be a whole number, got '"
          + abbreviate(value) + "'");
    }
    if (n <= 0) {
      throw new IllegalArgumentException("parameter '" + name + "' must be above 0, got " + n);
    }
    return n;
  }

  private static String abbreviate(String s) {
    return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "...";
  }
}
