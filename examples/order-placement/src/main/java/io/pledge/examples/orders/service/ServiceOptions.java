package io.pledge.examples.orders.service;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.participant.endpoint.ParticipantOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Settings every example service shares: where its HTTP API listens, the size of its XA worker pool, and the
 * participant's own settings ({@link ParticipantOptions#KEYS}; the H2 database lives in {@code participant.data.dir}
 * next to the participant log). Each service adds its seed data keys ({@link #keys}).
 *
 * @param xaThreads JDBC and XA calls in flight at once (a request waiting for a row lock holds one)
 */
public record ServiceOptions(String httpHost, int httpPort, int xaThreads, ParticipantOptions participant) {

  public static final ConfigKey<String> HTTP_HOST = ConfigKey.string("http.host", "127.0.0.1",
      "address the service's HTTP API listens on");
  public static final ConfigKey<Integer> XA_THREADS = ConfigKey.integer("xa.threads", 16,
      "worker threads for the database's JDBC and XA calls");

  public ServiceOptions {
    Objects.requireNonNull(httpHost, "httpHost");
    Objects.requireNonNull(participant, "participant");
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http.port " + httpPort + " is out of range 0..65535");
    }
    if (xaThreads < 1) {
      throw new IllegalArgumentException("xa.threads must be positive");
    }
  }

  /** The {@code http.port} key of a service whose API listens on {@code defaultPort} unless told otherwise. */
  public static ConfigKey<Integer> httpPort(int defaultPort) {
    return ConfigKey.integer("http.port", defaultPort, "HTTP API port (0 picks a free one)");
  }

  /** Every key of a service: the shared ones, its HTTP port, then its own. */
  public static List<ConfigKey<?>> keys(ConfigKey<Integer> httpPort, List<ConfigKey<?>> own) {
    List<ConfigKey<?>> keys = new ArrayList<>(List.of(HTTP_HOST, httpPort, XA_THREADS));
    keys.addAll(own);
    keys.addAll(ParticipantOptions.KEYS);
    return List.copyOf(keys);
  }

  public static ServiceOptions from(Config config, ConfigKey<Integer> httpPort) {
    return new ServiceOptions(config.get(HTTP_HOST), config.get(httpPort), config.get(XA_THREADS),
        ParticipantOptions.from(config));
  }
}
