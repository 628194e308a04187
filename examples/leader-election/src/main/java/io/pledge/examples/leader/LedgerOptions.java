package io.pledge.examples.leader;

import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import java.nio.file.Path;
import java.util.List;

/** Settings of the ledger ({@link LedgerMain}): flags {@code --ledger.port=8090}, or {@code PLEDGE_LEDGER_PORT}. */
public record LedgerOptions(String host, int port, Path dataDir, String lock) {

  public static final ConfigKey<String> HOST = ConfigKey.string("ledger.host", "127.0.0.1",
      "address the ledger's HTTP API listens on");
  public static final ConfigKey<Integer> PORT = ConfigKey.integer("ledger.port", 8090,
      "HTTP port (0 picks a free one)");
  public static final ConfigKey<String> DATA_DIR = ConfigKey.string("ledger.data.dir", "data/ledger",
      "directory of the ledger's H2 file");
  public static final ConfigKey<String> LOCK = ConfigKey.string("ledger.lock", "leader/ledger",
      "the lock whose fencing tokens writers must carry");

  public static final List<ConfigKey<?>> KEYS = List.of(HOST, PORT, DATA_DIR, LOCK);

  public LedgerOptions {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("ledger.port must be within 0..65535");
    }
    if (lock.isBlank()) {
      throw new IllegalArgumentException("ledger.lock must not be blank");
    }
  }

  public static LedgerOptions from(Config c) {
    return new LedgerOptions(c.get(HOST), c.get(PORT), Path.of(c.get(DATA_DIR)), c.get(LOCK));
  }
}
