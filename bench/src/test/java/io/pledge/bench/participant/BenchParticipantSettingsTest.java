package io.pledge.bench.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.grpc.Endpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchParticipantSettingsTest {

  @Test
  void flagsCarryClusterPostgresAndTlsToTheParticipantsJvm() {
    BenchParticipantSettings settings = new BenchParticipantSettings("p1", new Endpoint("127.0.0.1", 7001),
        Path.of("/tmp/p1"), 0, false, Optional.empty(),
        List.of(new Endpoint("127.0.0.1", 7001), new Endpoint("127.0.0.1", 7002), new Endpoint("127.0.0.1", 7003)),
        Optional.of("jdbc:postgresql://127.0.0.1:5432/p1"),
        Map.of("tls.cert", "/tls/p1.crt", "tls.key", "/tls/p1.key", "tls.ca", "/tls/ca.crt"));
    BenchParticipantMain main = new BenchParticipantMain();
    new CommandLine(main).parseArgs(settings.toArgs().toArray(String[]::new));
    assertEquals(List.of("127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"), main.coordinatorCluster);
    assertEquals("jdbc:postgresql://127.0.0.1:5432/p1", main.postgres);
    assertEquals(settings.tls(), main.tls);
    assertEquals("p1", main.name);
  }

  @Test
  void aPostgresParticipantVotesAsItsDatabaseDoes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BenchParticipantSettings(
        "p1", new Endpoint("127.0.0.1", 7001), Path.of("/tmp/p1"), 0.1, false, Optional.empty(), List.of(),
        Optional.of("jdbc:postgresql://127.0.0.1:5432/p1"), Map.of()));
    assertTrue(e.getMessage().contains("H2"), e.getMessage());
  }

  @Test
  void onlyTlsSettingsPassAsTls() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BenchParticipantSettings(
        "p1", new Endpoint("127.0.0.1", 7001), Path.of("/tmp/p1"), 0, false, Optional.empty(), List.of(),
        Optional.empty(), Map.of("grpc.port", "1")));
    assertTrue(e.getMessage().contains("tls."), e.getMessage());
  }
}
