package io.pledge.coordinator.transport;

import io.pledge.common.grpc.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The endpoints an Enlist may name ({@code participant.endpoint-allow}): the coordinator connects to whatever a
 * participant enlists, so a caller could otherwise make it call any host:port its network reaches. Patterns are
 * {@code host} (any port) or {@code host:port}; {@code *} matches any run of characters, so {@code *.bank.svc},
 * {@code 10.0.*:7500} and {@code *} (everything, the default) work. Hosts compare case-insensitively.
 */
public final class EndpointAllowList {

  private final String text;
  private final List<Pattern> patterns;

  private EndpointAllowList(String text, List<Pattern> patterns) {
    this.text = text;
    this.patterns = patterns;
  }

  /** @throws IllegalArgumentException for an empty list or an empty pattern */
  public static EndpointAllowList parse(String text) {
    List<Pattern> patterns = new ArrayList<>();
    for (String raw : text.split(",", -1)) {
      String p = raw.strip().toLowerCase(Locale.ROOT);
      if (p.isEmpty()) {
        throw new IllegalArgumentException("participant.endpoint-allow has an empty pattern in '" + text
            + "'; use * to allow every endpoint");
      }
      // A pattern without a port (none after the last ':' outside brackets) allows every port.
      boolean hasPort = p.matches(".*:[0-9*]+") && !p.endsWith("]");
      patterns.add(Pattern.compile(toRegex(hasPort || p.equals("*") ? p : p + ":*")));
    }
    return new EndpointAllowList(text, List.copyOf(patterns));
  }

  private static String toRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    String[] parts = glob.split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        regex.append(".*");
      }
      if (!parts[i].isEmpty()) {
        regex.append(Pattern.quote(parts[i]));
      }
    }
    return regex.toString();
  }

  public boolean allows(Endpoint endpoint) {
    String candidate = endpoint.toString().toLowerCase(Locale.ROOT);
    return patterns.stream().anyMatch(p -> p.matcher(candidate).matches());
  }

  @Override
  public String toString() {
    return text;
  }
}
