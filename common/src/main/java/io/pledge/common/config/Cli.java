package io.pledge.common.config;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The command line of a server's {@code main}: {@code --help}, or settings parsed into a {@link Config}. */
public final class Cli {

  private Cli() {}

  /**
   * Parses {@code args}; prints help or the error to {@code out}/{@code err} and returns empty when the server
   * should not start (the caller exits with {@link #exitCode}).
   */
  public static Optional<Config> parse(String program, String summary, List<ConfigKey<?>> keys, String[] args,
      Map<String, String> env, PrintStream out, PrintStream err) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      out.print(help(program, summary, keys));
      return Optional.empty();
    }
    try {
      return Optional.of(Config.load(keys, args, env));
    } catch (ConfigException e) {
      err.println(program + ": " + e.getMessage());
      err.println("Run with --help to see every setting.");
      return Optional.empty();
    }
  }

  /**
   * What a {@code main} starts with: its settings parsed from {@code args} and the environment and turned into options
   * by {@code from}. Exits instead of returning when there is nothing to run: 0 after printing {@code --help}, 2
   * after printing what is wrong (an unknown key, a bad value, or a combination {@code from} refuses with an
   * {@link IllegalArgumentException}).
   */
  public static <T> T optionsOrExit(String program, String summary, List<ConfigKey<?>> keys, String[] args,
      Function<Config, T> from) {
    Optional<Config> config = parse(program, summary, keys, args, System.getenv(), System.out, System.err);
    if (config.isEmpty()) {
      System.exit(exitCode(args));
    }
    try {
      return from.apply(config.orElseThrow());
    } catch (IllegalArgumentException e) {
      System.err.println(program + ": " + e.getMessage());
      System.exit(2);
      throw e; // not reached: exit does not return
    }
  }

  /** 0 after {@code --help}, 2 after a configuration error. */
  public static int exitCode(String[] args) {
    return Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h") ? 0 : 2;
  }

  public static String help(String program, String summary, List<ConfigKey<?>> keys) {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: ").append(program).append(" [--config FILE] [--key=value ...]\n\n").append(summary)
        .append("\n\nEach setting can be given in a properties file (key=value), as an environment variable, or as a"
            + " flag;\nflags win over the environment, which wins over the file.\n\n");
    int width = keys.stream().mapToInt(k -> k.name().length()).max().orElse(10) + 2;
    for (ConfigKey<?> key : keys) {
      sb.append(String.format("  --%-" + width + "s %s%n", key.name(), key.description()));
      sb.append(String.format("    %-" + width + "s default: %s   env: %s%n", "",
          key.defaultText().isEmpty() ? "(none)" : key.defaultText(), key.envName()));
    }
    sb.append(String.format("  --%-" + width + "s %s%n", "config", "properties file to read settings from (env: PLEDGE_CONFIG)"));
    sb.append(String.format("  --%-" + width + "s %s%n", "help", "print this help"));
    return sb.toString();
  }
}
