package io.pledge.bench.sut;

/** What a measured node is. */
public enum Role {
  CLIENT, COORDINATOR, PARTICIPANT, LOCK_SERVICE, ECHO_SERVER;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
