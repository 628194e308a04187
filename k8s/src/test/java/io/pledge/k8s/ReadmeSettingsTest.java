package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.ConfigKey;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.participant.endpoint.ParticipantOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The settings tables of README.md against the servers' own keys: every key listed, none invented, defaults and
 * environment variables as the code has them. The manifests are checked against the same keys (ServerSettingsTest);
 * this keeps the page a user configures from honest too.
 */
class ReadmeSettingsTest {

  /** {@code | `key` | `default` or (none) | `ENV` | meaning |} */
  private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| (?:`([^`]*)`|\\(none\\)) \\| `([A-Z0-9_]+)` \\|.+\\|$");

  private record Row(String defaultText, String env) {}

  @Test
  void coordinatorTable() throws IOException {
    assertTableMatches("### Coordinator", CoordinatorOptions.KEYS);
  }

  @Test
  void lockServiceTable() throws IOException {
    assertTableMatches("### Lock service", LockServiceOptions.ALL);
  }

  @Test
  void participantSdkTable() throws IOException {
    assertTableMatches("### Participant SDK", ParticipantOptions.KEYS);
  }

  private static void assertTableMatches(String heading, List<ConfigKey<?>> keys) throws IOException {
    Map<String, Row> rows = table(heading);
    assertEquals(keys.stream().map(ConfigKey::name).toList(), List.copyOf(rows.keySet()),
        heading + ": keys in README.md vs the code (same order as --help)");
    for (ConfigKey<?> k : keys) {
      Row row = rows.get(k.name());
      assertEquals(k.envName(), row.env(), heading + " " + k.name() + ": environment variable");
      // Compared as values, so that 60s and 1m agree.
      Object documented = row.defaultText().isEmpty() ? "" : k.parser().apply(row.defaultText());
      Object actual = k.defaultValue() == null ? "" : k.defaultValue();
      assertEquals(actual, documented, heading + " " + k.name() + ": default");
    }
  }

  /** The rows of the first table after {@code heading}, in README.md's "Configuration" section. */
  private static Map<String, Row> table(String heading) throws IOException {
    List<String> lines = Files.readAllLines(Manifests.ROOT.resolve("README.md"));
    int at = lines.indexOf(heading);
    assertTrue(at >= 0, "README.md has no heading " + heading);
    Map<String, Row> rows = new LinkedHashMap<>();
    boolean inTable = false;
    for (String line : lines.subList(at + 1, lines.size())) {
      if (line.startsWith("|")) {
        inTable = true;
        Matcher m = ROW.matcher(line);
        if (m.matches()) {
          rows.put(m.group(1), new Row(m.group(2) == null ? "" : m.group(2), m.group(3)));
        }
      } else if (inTable || line.startsWith("#")) {
        break;
      }
    }
    return rows;
  }
}
