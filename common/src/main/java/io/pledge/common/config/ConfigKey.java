package io.pledge.common.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One setting of a server: a dotted name, a default and a description. The same name is used in the config file
 * ({@code grpc.port=7400}), as a flag ({@code --grpc.port=7400}) and, upper-cased with dots as underscores and a
 * {@code PLEDGE_} prefix, as an environment variable ({@code PLEDGE_GRPC_PORT=7400}).
 *
 * @param <T> the parsed type
 */
public record ConfigKey<T>(String name, T defaultValue, String description, Function<String, T> parser) {

  public ConfigKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(parser, "parser");
    if (!name.matches("[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*")) {
      throw new IllegalArgumentException("config key must be lower-case and dotted: " + name);
    }
  }

  public static ConfigKey<String> string(String name, String defaultValue, String description) {
    return new ConfigKey<>(name, defaultValue, description, s -> s);
  }

  public static ConfigKey<Integer> integer(String name, int defaultValue, String description) {
    return new ConfigKey<>(name, defaultValue, description, Integer::parseInt);
  }

  public static ConfigKey<Boolean> bool(String name, boolean defaultValue, String description) {
    return new ConfigKey<>(name, defaultValue, description, ConfigKey::parseBoolean);
  }

  /** A duration written as a number with a unit: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 7d}. */
  public static ConfigKey<Duration> duration(String name, Duration defaultValue, String description) {
    return new ConfigKey<>(name, defaultValue, description, ConfigKey::parseDuration);
  }

  /** The environment variable that sets this key. */
  public String envName() {
    return "PLEDGE_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** The default as a user would write it. */
  public String defaultText() {
    if (defaultValue == null) {
      return "";
    }
    return defaultValue instanceof Duration d ? formatDuration(d) : defaultValue.toString();
  }

  static boolean parseBoolean(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new IllegalArgumentException("expected true or false");
    };
  }

  public static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    int split = 0;
    while (split < t.length() && Character.isDigit(t.charAt(split))) {
      split++;
    }
    if (split == 0) {
      throw new IllegalArgumentException("expected a number with a unit (ms, s, m, h, d), e.g. 10s");
    }
    long amount = Long.parseLong(t.substring(0, split));
    return switch (t.substring(split)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      case "d" -> Duration.ofDays(amount);
      default -> throw new IllegalArgumentException("unknown unit in '" + text + "': use ms, s, m, h or d");
    };
  }

  public static String formatDuration(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000 == 0 && ms != 0) {
      return ms / 86_400_000 + "d";
    }
    if (ms % 3_600_000 == 0 && ms != 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms != 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
