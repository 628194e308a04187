package io.pledge.examples.orders.service;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The seed lists of the services' settings: comma-separated items of colon-separated fields, a unique name first and
 * numbers after it ({@code WIDGET:20:25,GADGET:6:40}). Every refusal names the setting and the item.
 */
public final class Seeds {

  /**
   * @param key the setting, e.g. {@code inventory.skus}
   * @param shape the fields of one item, e.g. {@code sku:stock:price}
   * @param numbers what the numeric fields must be, e.g. {@code stock and price must be numbers}
   * @param noun what one item is, e.g. {@code sku}
   */
  public record Format(String key, String shape, String numbers, String noun) {}

  private Seeds() {}

  /** The items of {@code text}; {@code make} builds one from its fields (numbers parsed there), {@code name} names it. */
  public static <T> List<T> parse(String text, Format format, Function<String[], T> make, Function<T, String> name) {
    int fields = format.shape().split(":").length;
    List<T> items = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (String item : text.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      String[] parts = item.trim().split(":");
      if (parts.length != fields) {
        throw new IllegalArgumentException(format.key() + ": expected " + format.shape() + ", got '" + item.trim()
            + "'");
      }
      T parsed;
      try {
        parsed = make.apply(parts);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(format.key() + ": " + format.numbers() + " in '" + item.trim() + "'");
      }
      if (!names.add(name.apply(parsed))) {
        throw new IllegalArgumentException(format.key() + ": " + name.apply(parsed) + " is listed twice");
      }
      items.add(parsed);
    }
    if (items.isEmpty()) {
      throw new IllegalArgumentException(format.key() + ": no " + format.noun() + " given");
    }
    return items;
  }
}
