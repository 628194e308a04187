package io.pledge.common.tls;

import io.pledge.common.config.ConfigKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who has which role: identity patterns (the caller certificate's SAN URI, else its DNS name) mapped to roles, one
 * rule a line, in a file named by {@code tls.policy}:
 *
 * <pre>
 * # pattern = role, role   ('*' matches any run of characters; an identity gets the roles of every rule it matches)
 * spiffe://pledge/coordinator = coordinator
 * spiffe://pledge/participant/* = participant, lock-user
 * spiffe://pledge/app/* = client, lock-user
 * spiffe://pledge/ops/* = operator
 * </pre>
 *
 * Immutable; no I/O but {@link #load}.
 */
public record Policy(List<Rule> rules) {

  public static final ConfigKey<String> FILE = ConfigKey.string("tls.policy", "",
      "policy file mapping caller identities (certificate SAN URI or DNS name) to roles; empty: any certificate the"
          + " CA issued may call every method (docs/security.md)");

  public record Rule(String pattern, Set<Role> roles) {
    public Rule {
      if (pattern.isBlank()) {
        throw new IllegalArgumentException("a policy rule needs an identity pattern");
      }
      roles = Collections.unmodifiableSet(EnumSet.copyOf(roles));
    }

    boolean matches(String identity) {
      return COMPILED.computeIfAbsent(pattern, Rule::compile).matcher(identity).matches();
    }

    /**
     * Patterns compiled once: every authorized call (and every ownership check) matches the caller against each rule.
     * Bounded by the rules of the policies loaded, a handful.
     */
    private static final java.util.Map<String, Pattern> COMPILED = new java.util.concurrent.ConcurrentHashMap<>();

    private static Pattern compile(String pattern) {
      StringBuilder regex = new StringBuilder();
      String[] parts = pattern.split("\\*", -1);
      for (int i = 0; i < parts.length; i++) {
        regex.append(i == 0 ? "" : ".*").append(Pattern.quote(parts[i]));
      }
      return Pattern.compile(regex.toString());
    }
  }

  public Policy {
    rules = List.copyOf(rules);
  }

  /** The roles of {@code identity}: those of every rule it matches. */
  public Set<Role> roles(String identity) {
    EnumSet<Role> roles = EnumSet.noneOf(Role.class);
    for (Rule rule : rules) {
      if (rule.matches(identity)) {
        roles.addAll(rule.roles());
      }
    }
    return roles;
  }

  /** @throws IllegalArgumentException naming the line, for a rule that does not read */
  public static Policy parse(String text) {
    List<Rule> rules = new ArrayList<>();
    String[] lines = text.split("\\R");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("policy line " + (i + 1) + " is not 'identity-pattern = role, role'");
      }
      EnumSet<Role> roles = EnumSet.noneOf(Role.class);
      try {
        for (String role : line.substring(eq + 1).split(",")) {
          if (!role.isBlank()) {
            roles.add(Role.parse(role));
          }
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("policy line " + (i + 1) + ": " + e.getMessage());
      }
      if (roles.isEmpty()) {
        throw new IllegalArgumentException("policy line " + (i + 1) + " grants no role");
      }
      rules.add(new Rule(line.substring(0, eq).strip(), roles));
    }
    return new Policy(rules);
  }

  /** The policy {@code tls.policy} names; empty when it names none (then TLS callers are not authorized by role). */
  public static java.util.Optional<Policy> from(io.pledge.common.config.Config config) {
    String file = config.get(FILE).trim();
    return file.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(load(Path.of(file)));
  }

  public static Policy load(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("tls.policy " + file + " cannot be read: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tls.policy " + file + ": " + e.getMessage(), e);
    }
  }
}
