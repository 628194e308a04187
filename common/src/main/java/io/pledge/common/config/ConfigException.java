package io.pledge.common.config;

/** A setting that cannot be used; the message names the key, the value and where it came from. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
