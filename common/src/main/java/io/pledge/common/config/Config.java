package io.pledge.common.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Settings of one server, layered from lowest to highest precedence: each key's default, a properties file
 * ({@code --config FILE} or {@code PLEDGE_CONFIG}), environment variables ({@code PLEDGE_GRPC_PORT}) and flags
 * ({@code --grpc.port=7400} or {@code --grpc.port 7400}). Unknown keys in the file and flags are errors, so a typo
 * never goes unnoticed there; the environment is shared with other software, so only declared {@code PLEDGE_*}
 * names are read from it.
 *
 * <p>Immutable; nothing is read from system properties or static state, so many servers can run in one JVM.
 */
public final class Config {

  /** Where a value came from, for error messages. */
  private record Value(String text, String source) {}

  private final Map<String, ConfigKey<?>> keys;
  private final Map<String, Value> values;

  private Config(Map<String, ConfigKey<?>> keys, Map<String, Value> values) {
    this.keys = keys;
    this.values = values;
  }

  /** Only the defaults, overridden by {@code overrides} (key name to value): for tests and embedding. */
  public static Config of(List<ConfigKey<?>> keys, Map<String, String> overrides) {
    Map<String, ConfigKey<?>> byName = index(keys);
    Map<String, Value> values = new LinkedHashMap<>();
    overrides.forEach((k, v) -> values.put(requireKnown(byName, k, "overrides"), new Value(v, "overrides")));
    Config config = new Config(byName, values);
    config.validate();
    return config;
  }

  /**
   * Reads file, environment and flags. {@code --help} is not handled here: see {@link Cli}.
   *
   * @throws ConfigException for an unknown key, a malformed flag, an unreadable file or an unparseable value
   */
  public static Config load(List<ConfigKey<?>> keys, String[] args, Map<String, String> env) {
    Map<String, ConfigKey<?>> byName = index(keys);
    Map<String, Value> flags = parseFlags(byName, args);
    Map<String, Value> values = new LinkedHashMap<>();

    Value file = flags.containsKey("config") ? flags.remove("config")
        : env.containsKey("PLEDGE_CONFIG") ? new Value(env.get("PLEDGE_CONFIG"), "PLEDGE_CONFIG") : null;
    if (file != null) {
      values.putAll(readFile(byName, Path.of(file.text())));
    }
    for (ConfigKey<?> key : keys) {
      String fromEnv = env.get(key.envName());
      if (fromEnv != null) {
        values.put(key.name(), new Value(fromEnv, "environment variable " + key.envName()));
      }
    }
    values.putAll(flags);
    Config config = new Config(byName, values);
    config.validate();
    return config;
  }

  @SuppressWarnings("unchecked")
  public <T> T get(ConfigKey<T> key) {
    if (keys.get(key.name()) != key) {
      throw new IllegalArgumentException("key not declared for this config: " + key.name());
    }
    Value value = values.get(key.name());
    if (value == null) {
      return key.defaultValue();
    }
    try {
      return key.parser().apply(value.text().trim());
    } catch (RuntimeException e) {
      throw new ConfigException("invalid value '" + value.text() + "' for " + key.name() + " (from " + value.source()
          + "): " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
  }

  /** Every key with its effective value as text, in declaration order: for a start-up log line. */
  public Map<String, String> effective() {
    Map<String, String> out = new LinkedHashMap<>();
    keys.values().forEach(k -> {
      Object v = get(k);
      out.put(k.name(), v instanceof java.time.Duration d ? ConfigKey.formatDuration(d) : String.valueOf(v));
    });
    return out;
  }

  private void validate() {
    keys.values().forEach(this::get);
  }

  private static Map<String, ConfigKey<?>> index(List<ConfigKey<?>> keys) {
    Map<String, ConfigKey<?>> byName = new LinkedHashMap<>();
    for (ConfigKey<?> key : keys) {
      if (byName.put(key.name(), key) != null) {
        throw new IllegalArgumentException("duplicate config key " + key.name());
      }
    }
    return byName;
  }

  private static String requireKnown(Map<String, ConfigKey<?>> keys, String name, String source) {
    if (!keys.containsKey(name)) {
      throw new ConfigException("unknown setting '" + name + "' in " + source + "; known settings: "
          + String.join(", ", keys.keySet()));
    }
    return name;
  }

  private static Map<String, Value> parseFlags(Map<String, ConfigKey<?>> keys, String[] args) {
    Map<String, Value> flags = new LinkedHashMap<>();
    List<String> rest = new ArrayList<>(List.of(args));
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new ConfigException("unexpected argument '" + arg + "': settings are given as --key=value");
      }
      String body = arg.substring(2);
      String name;
      String text;
      int eq = body.indexOf('=');
      if (eq >= 0) {
        name = body.substring(0, eq);
        text = body.substring(eq + 1);
      } else if (i + 1 < rest.size() && !rest.get(i + 1).startsWith("--")) {
        name = body;
        text = rest.get(++i);
      } else if (keys.get(body) != null && keys.get(body).defaultValue() instanceof Boolean) {
        name = body;
        text = "true";
      } else {
        throw new ConfigException("flag --" + body + " needs a value: --" + body + "=VALUE");
      }
      if (!name.equals("config")) {
        requireKnown(keys, name, "flags");
      }
      flags.put(name, new Value(text, "flag --" + name));
    }
    return flags;
  }

  private static Map<String, Value> readFile(Map<String, ConfigKey<?>> keys, Path path) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(path)) {
      props.load(reader);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + path + ": " + e.getMessage());
    }
    Map<String, Value> values = new LinkedHashMap<>();
    for (String name : props.stringPropertyNames()) {
      values.put(requireKnown(keys, name, "config file " + path),
          new Value(props.getProperty(name), "config file " + path));
    }
    return values;
  }
}
