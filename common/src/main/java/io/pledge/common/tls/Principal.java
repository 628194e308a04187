package io.pledge.common.tls;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A caller known by its certificate under a {@link Policy}: its identity (SAN URI, else DNS name) and the roles the
 * policy grants it. What per-object checks ({@link Ownership}) work from; protocol cores take it as a plain value.
 */
public record Principal(String identity, Set<Role> roles) {

  public Principal {
    Objects.requireNonNull(identity, "identity");
    roles = Collections.unmodifiableSet(roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles));
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }
}
