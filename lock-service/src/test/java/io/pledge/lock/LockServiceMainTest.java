package io.pledge.lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Cli;
import io.pledge.common.config.Config;
import io.pledge.lock.config.LockServiceOptions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LockServiceMainTest {

  @Test
  void hazelcastClientFlagIsTheDottedKey() {
    assertArrayEquals(new String[] {"--hazelcast.client=true", "--grpc.port=1"},
        LockServiceMain.normalize(new String[] {"--hazelcast-client", "--grpc.port=1"}));
    Config c = Config.load(LockServiceOptions.ALL, LockServiceMain.normalize(new String[] {"--hazelcast-client"}),
        Map.of());
    assertTrue(c.get(LockServiceOptions.HAZELCAST_CLIENT));
  }

  @Test
  void helpListsEveryKeyAndEnvironmentOverridesDefaults() {
    String help = Cli.help("pledge-lock-service", "summary", LockServiceOptions.ALL);
    LockServiceOptions.ALL.forEach(k -> assertTrue(help.contains("--" + k.name()), k.name()));
    Config c = Config.load(LockServiceOptions.ALL, new String[] {"--lock.delay-margin=500ms"},
        Map.of("PLEDGE_LOCK_MAX_LEASE", "10s", "PLEDGE_HAZELCAST_MEMBERS", "a:1, b:2,"));
    assertEquals(Duration.ofMillis(10_500), LockServiceOptions.lockDelay(c));
    assertEquals(java.util.List.of("a:1", "b:2"), LockServiceOptions.members(c));
  }
}
