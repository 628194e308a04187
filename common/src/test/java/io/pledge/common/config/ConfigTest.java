package io.pledge.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigTest {

  static final ConfigKey<Integer> PORT = ConfigKey.integer("grpc.port", 7400, "port of the gRPC server");
  static final ConfigKey<String> NODE = ConfigKey.string("node.id", "coord-1", "this node's id");
  static final ConfigKey<String> DATA_DIR = ConfigKey.string("log.dir", null, "where the transaction log lives");
  static final ConfigKey<Duration> TIMEOUT =
      ConfigKey.duration("tx.timeout", Duration.ofSeconds(30), "default transaction timeout");
  static final ConfigKey<Boolean> METRICS = ConfigKey.bool("metrics.enabled", false, "serve /metrics");
  static final ConfigKey<Integer> IN_FLIGHT = ConfigKey.integer("max-in-flight", 64, "concurrent transactions");
  static final List<ConfigKey<?>> KEYS = List.of(PORT, NODE, DATA_DIR, TIMEOUT, METRICS, IN_FLIGHT);

  @TempDir
  Path dir;

  static Config load(Map<String, String> env, String... args) {
    return Config.load(KEYS, args, env);
  }

  static Config load(String... args) {
    return load(Map.of(), args);
  }

  Path file(String name, String... lines) throws IOException {
    return Files.write(dir.resolve(name), List.of(lines));
  }

  static String error(Executable executable) {
    return assertThrows(ConfigException.class, executable).getMessage();
  }

  static void assertContains(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), () -> "'" + part + "' missing from: " + message);
    }
  }

  @Nested
  class Keys {

    @ParameterizedTest
    @CsvSource({"250ms, PT0.25S", "10s, PT10S", "5m, PT5M", "2h, PT2H", "7d, PT168H", "0s, PT0S", "0ms, PT0S",
        "' 10S ', PT10S", "1500MS, PT1.5S", "90s, PT1M30S"})
    void parsesDurations(String text, Duration expected) {
      assertEquals(expected, ConfigKey.parseDuration(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10w", "10", "10 s", "10sec", "1.5s", "10s5"})
    void rejectsUnknownDurationUnits(String text) {
      String message = assertThrows(IllegalArgumentException.class, () -> ConfigKey.parseDuration(text)).getMessage();
      assertContains(message, "'" + text + "'", "ms, s, m, h or d");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "ms", "-5s", "+5s", "five seconds"})
    void rejectsDurationsWithoutANumber(String text) {
      String message = assertThrows(IllegalArgumentException.class, () -> ConfigKey.parseDuration(text)).getMessage();
      assertContains(message, "expected a number with a unit");
    }

    @ParameterizedTest
    @CsvSource({"PT0.25S, 250ms", "PT10S, 10s", "PT5M, 5m", "PT2H, 2h", "PT168H, 7d", "PT0S, 0s", "PT1M30S, 90s",
        "PT1.5S, 1500ms", "PT25H, 25h", "PT61M, 61m"})
    void formatsDurationsInTheLargestExactUnit(Duration duration, String expected) {
      assertEquals(expected, ConfigKey.formatDuration(duration));
      assertEquals(duration, ConfigKey.parseDuration(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "yes", "on", "1", " True "})
    void parsesTrue(String text) {
      assertTrue(ConfigKey.parseBoolean(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "False", "no", "off", "0"})
    void parsesFalse(String text) {
      assertFalse(ConfigKey.parseBoolean(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "maybe", "2", "y", "t"})
    void rejectsOtherBooleans(String text) {
      String message = assertThrows(IllegalArgumentException.class, () -> ConfigKey.parseBoolean(text)).getMessage();
      assertEquals("expected true or false", message);
    }

    @Test
    void envNames() {
      assertEquals("PLEDGE_GRPC_PORT", PORT.envName());
      assertEquals("PLEDGE_MAX_IN_FLIGHT", IN_FLIGHT.envName());
      assertEquals("PLEDGE_TX_TIMEOUT", TIMEOUT.envName());
    }

    @Test
    void defaultTexts() {
      assertEquals("7400", PORT.defaultText());
      assertEquals("30s", TIMEOUT.defaultText());
      assertEquals("false", METRICS.defaultText());
      assertEquals("", DATA_DIR.defaultText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Grpc.port", "grpc..port", "grpc.", ".grpc", "1grpc", "grpc_port", "grpc port"})
    void namesMustBeLowerCaseAndDotted(String name) {
      String message = assertThrows(IllegalArgumentException.class, () -> ConfigKey.string(name, "", "d"))
          .getMessage();
      assertContains(message, "lower-case and dotted", name);
    }

    @Test
    void duplicateKeysAreAProgrammingError() {
      assertThrows(IllegalArgumentException.class,
          () -> Config.of(List.of(PORT, ConfigKey.integer("grpc.port", 1, "again")), Map.of()));
    }
  }

  @Nested
  class Defaults {

    @Test
    void everyKeyHasItsDefault() {
      Config config = load();
      assertEquals(7400, config.get(PORT));
      assertEquals("coord-1", config.get(NODE));
      assertEquals(null, config.get(DATA_DIR));
      assertEquals(Duration.ofSeconds(30), config.get(TIMEOUT));
      assertFalse(config.get(METRICS));
      assertEquals(64, config.get(IN_FLIGHT));
    }

    @Test
    void effectiveListsEveryKeyInDeclarationOrder() {
      Map<String, String> effective = Config.of(KEYS, Map.of("tx.timeout", "120s", "grpc.port", "7401")).effective();
      assertEquals(KEYS.stream().map(ConfigKey::name).toList(), List.copyOf(effective.keySet()));
      assertEquals("7401", effective.get("grpc.port"));
      assertEquals("2m", effective.get("tx.timeout"));
      assertEquals("false", effective.get("metrics.enabled"));
    }

    @Test
    void aKeyOfAnotherConfigIsAProgrammingError() {
      ConfigKey<Integer> other = ConfigKey.integer("grpc.port", 7400, "port of the gRPC server");
      assertThrows(IllegalArgumentException.class, () -> load().get(other));
    }

    @Test
    void overrides() {
      Config config = Config.of(KEYS, Map.of("grpc.port", "9000", "metrics.enabled", "on", "tx.timeout", "250ms"));
      assertEquals(9000, config.get(PORT));
      assertTrue(config.get(METRICS));
      assertEquals(Duration.ofMillis(250), config.get(TIMEOUT));
      assertEquals("coord-1", config.get(NODE));
    }

    @Test
    void unknownOverrideIsNamed() {
      assertContains(error(() -> Config.of(KEYS, Map.of("grpc.prot", "1"))),
          "unknown setting 'grpc.prot' in overrides", "grpc.port", "tx.timeout");
    }

    @Test
    void badOverrideNamesKeyValueAndSource() {
      assertContains(error(() -> Config.of(KEYS, Map.of("tx.timeout", "soon"))),
          "invalid value 'soon' for tx.timeout (from overrides)", "expected a number with a unit");
    }
  }

  @Nested
  class Sources {

    @Test
    void fileThenEnvironmentThenFlags() throws IOException {
      Path file = file("pledge.properties", "grpc.port=1", "node.id=from-file", "max-in-flight=8", "tx.timeout=1m");
      Map<String, String> env = Map.of("PLEDGE_GRPC_PORT", "2", "PLEDGE_NODE_ID", "from-env",
          "PLEDGE_CONFIG", file.toString());
      Config config = load(env, "--grpc.port=3");
      assertEquals(3, config.get(PORT));
      assertEquals("from-env", config.get(NODE));
      assertEquals(8, config.get(IN_FLIGHT));
      assertEquals(Duration.ofMinutes(1), config.get(TIMEOUT));
      assertFalse(config.get(METRICS));
    }

    @Test
    void configFlagInBothForms() throws IOException {
      Path file = file("a.properties", "grpc.port=7500");
      assertEquals(7500, load("--config", file.toString()).get(PORT));
      assertEquals(7500, load("--config=" + file).get(PORT));
    }

    @Test
    void configFlagWinsOverPledgeConfig() throws IOException {
      Path fromFlag = file("flag.properties", "grpc.port=1");
      Path fromEnv = file("env.properties", "grpc.port=2", "node.id=env-file");
      Config config = load(Map.of("PLEDGE_CONFIG", fromEnv.toString()), "--config", fromFlag.toString());
      assertEquals(1, config.get(PORT));
      assertEquals("coord-1", config.get(NODE));
    }

    @Test
    void fileValuesAreTrimmed() throws IOException {
      Path file = file("spaces.properties", "# comment", "grpc.port = 7600  ", "", "metrics.enabled:yes");
      Config config = load("--config", file.toString());
      assertEquals(7600, config.get(PORT));
      assertTrue(config.get(METRICS));
    }

    @Test
    void flagsInBothForms() {
      Config config = load("--grpc.port", "7700", "--node.id=a=b", "--tx.timeout", "7d");
      assertEquals(7700, config.get(PORT));
      assertEquals("a=b", config.get(NODE));
      assertEquals(Duration.ofDays(7), config.get(TIMEOUT));
    }

    @Test
    void aBooleanFlagAloneMeansTrue() {
      assertTrue(load("--metrics.enabled").get(METRICS));
      assertTrue(load("--metrics.enabled", "--grpc.port=1").get(METRICS));
      assertFalse(load("--metrics.enabled", "off").get(METRICS));
      assertFalse(load("--metrics.enabled=false").get(METRICS));
    }

    @Test
    void theLastFlagWins() {
      assertEquals(2, load("--grpc.port=1", "--grpc.port", "2").get(PORT));
    }

    @Test
    void environmentAlone() {
      Config config = load(Map.of("PLEDGE_MAX_IN_FLIGHT", "5", "PLEDGE_METRICS_ENABLED", "1"));
      assertEquals(5, config.get(IN_FLIGHT));
      assertTrue(config.get(METRICS));
    }

    /** Unlike the file and flags, the environment is only read for declared keys: other PLEDGE_ variables pass. */
    @Test
    void unknownEnvironmentVariablesAreNotRead() {
      assertEquals(7400, load(Map.of("PLEDGE_GRPC_PROT", "1", "PLEDGE_OTHER", "x")).get(PORT));
    }
  }

  @Nested
  class Errors {

    @Test
    void unknownFlagIsNamed() {
      assertContains(error(() -> load("--grpc.prot=1")),
          "unknown setting 'grpc.prot' in flags; known settings: grpc.port, node.id, log.dir, tx.timeout, "
              + "metrics.enabled, max-in-flight");
      assertContains(error(() -> load("--verbose", "3")), "unknown setting 'verbose' in flags");
    }

    @Test
    void unknownFileKeyIsNamedWithTheFile() throws IOException {
      Path file = file("typo.properties", "grpc.port=1", "node.idd=x");
      assertContains(error(() -> load("--config", file.toString())),
          "unknown setting 'node.idd' in config file " + file);
    }

    @Test
    void configIsNotASettingInsideTheFile() throws IOException {
      Path file = file("nested.properties", "config=other.properties");
      assertContains(error(() -> load("--config", file.toString())), "unknown setting 'config'");
    }

    @Test
    void badFlagValueNamesKeyValueAndSource() {
      assertContains(error(() -> load("--grpc.port=80a")),
          "invalid value '80a' for grpc.port (from flag --grpc.port)");
      assertContains(error(() -> load("--tx.timeout", "10w")),
          "invalid value '10w' for tx.timeout (from flag --tx.timeout)", "use ms, s, m, h or d");
      assertContains(error(() -> load("--metrics.enabled=maybe")),
          "invalid value 'maybe' for metrics.enabled (from flag --metrics.enabled): expected true or false");
    }

    @Test
    void badEnvironmentValueNamesKeyValueAndSource() {
      assertContains(error(() -> load(Map.of("PLEDGE_GRPC_PORT", "port"))),
          "invalid value 'port' for grpc.port (from environment variable PLEDGE_GRPC_PORT)");
    }

    @Test
    void badFileValueNamesKeyValueAndSource() throws IOException {
      Path file = file("bad.properties", "max-in-flight=lots");
      assertContains(error(() -> load(Map.of("PLEDGE_CONFIG", file.toString()))),
          "invalid value 'lots' for max-in-flight (from config file " + file + ")");
    }

    @Test
    void aBadValueShadowedByAHigherSourceIsNeverParsed() throws IOException {
      Path file = file("shadowed.properties", "grpc.port=oops");
      assertEquals(1, load("--config", file.toString(), "--grpc.port=1").get(PORT));
    }

    @Test
    void missingFile() {
      Path missing = dir.resolve("missing.properties");
      assertContains(error(() -> load("--config", missing.toString())), "cannot read config file " + missing);
      assertContains(error(() -> load(Map.of("PLEDGE_CONFIG", missing.toString()))),
          "cannot read config file " + missing);
    }

    @ParameterizedTest
    @ValueSource(strings = {"7400", "-p", "--", "-grpc.port=1"})
    void argumentsThatAreNotFlags(String arg) {
      assertContains(error(() -> load(arg)), "unexpected argument '" + arg + "'", "--key=value");
    }

    @Test
    void aFlagWithoutItsValue() {
      assertContains(error(() -> load("--grpc.port")), "flag --grpc.port needs a value: --grpc.port=VALUE");
      assertContains(error(() -> load("--grpc.port", "--node.id=x")), "flag --grpc.port needs a value");
      assertContains(error(() -> load("--config")), "flag --config needs a value");
    }
  }

  @Nested
  class CommandLine {

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    Optional<Config> parse(Map<String, String> env, String... args) {
      return Cli.parse("pledge-coordinator", "Coordinates two-phase commits.", KEYS, args, env,
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String out() {
      return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
      return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsEveryKeyWithDefaultAndEnvironmentName() {
      assertTrue(parse(Map.of(), "--grpc.port=1", "--help").isEmpty());
      String help = out();
      assertContains(help, "Usage: pledge-coordinator [--config FILE]", "Coordinates two-phase commits.");
      for (ConfigKey<?> key : KEYS) {
        assertContains(help, "--" + key.name(), key.description(), "env: " + key.envName());
      }
      assertContains(help, "default: 7400", "default: coord-1", "default: (none)", "default: 30s",
          "default: false", "default: 64", "--config", "PLEDGE_CONFIG", "--help");
      assertEquals("", err());
      assertEquals(0, Cli.exitCode(new String[] {"--help"}));
    }

    @Test
    void shortHelp() {
      assertTrue(parse(Map.of(), "-h").isEmpty());
      assertContains(out(), "--grpc.port");
      assertEquals(0, Cli.exitCode(new String[] {"-h"}));
    }

    @Test
    void helpWinsOverABadFlag() {
      assertTrue(parse(Map.of(), "--nope=1", "--help").isEmpty());
      assertContains(out(), "Usage:");
      assertEquals("", err());
    }

    @Test
    void badFlagPrintsTheErrorToErr() {
      String[] args = {"--grpc.prot=1"};
      assertTrue(parse(Map.of(), args).isEmpty());
      assertEquals("", out());
      assertContains(err(), "pledge-coordinator: unknown setting 'grpc.prot' in flags",
          "Run with --help to see every setting.");
      assertEquals(2, Cli.exitCode(args));
    }

    @Test
    void badEnvironmentValuePrintsTheErrorToErr() {
      assertTrue(parse(Map.of("PLEDGE_TX_TIMEOUT", "forever")).isEmpty());
      assertContains(err(), "invalid value 'forever' for tx.timeout (from environment variable PLEDGE_TX_TIMEOUT)");
    }

    @Test
    void goodArguments() {
      Optional<Config> config = parse(Map.of("PLEDGE_NODE_ID", "c9"), "--grpc.port", "7999");
      assertEquals(7999, config.orElseThrow().get(PORT));
      assertEquals("c9", config.orElseThrow().get(NODE));
      assertEquals("", out());
      assertEquals("", err());
    }
  }
}
