package io.pledge.bench.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScenariosTest {

  private static int calls(String name) {
    return Scenarios.select(List.of(name)).get(0).roundTrips();
  }

  @Test
  void roundTripsPerTransaction() {
    // The short path, nothing batched: Commit, 2 work calls, 2 Prepares, 2 phase-2 Commits (no Begin, no Enlist).
    assertEquals(7, calls("2p"));
    // Commit, work, one-phase Commit.
    assertEquals(3, calls("1p"));
    // The read-only participant gets no phase-2 Commit.
    assertEquals(6, calls("2p-readonly"));
    // Plus an Acquire per participant and the coordinator's ReleaseAll.
    assertEquals(10, calls("2p-locks"));
    assertEquals(2, calls("direct-2p"));
  }

  @Test
  void onlyTheServicesOwnWorkCallsAreUnary() {
    assertEquals(2, Scenarios.select(List.of("2p")).get(0).unaryCalls());
    assertEquals(5, Scenarios.select(List.of("5p")).get(0).unaryCalls());
    assertEquals(0, Scenarios.select(List.of("locks-uncontended")).get(0).unaryCalls());
    assertEquals(1, Scenarios.select(List.of("echo")).get(0).unaryCalls());
    assertEquals(0, Scenarios.select(List.of("echo-session")).get(0).unaryCalls());
  }

  @Test
  void selectionKeepsTheStandardOrderAndNamesTheKnownScenarios() {
    assertEquals(List.of("echo", "2p"), Scenarios.select(List.of("2p", "echo")).stream().map(Scenario::name)
        .toList());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Scenarios.select(List.of("3p")));
    assertTrue(e.getMessage().contains("narayana-2p"), e.getMessage());
  }

  @Test
  void variantsMakeTheCallsOfThePlainScenarioTheyAreComparedWith() {
    // TLS, PostgreSQL and a cluster change how the calls travel or what a branch costs, not how many there are.
    for (String variant : List.of("2p-tls", "2p-postgres", "2p-cluster", "2p-cluster-failover")) {
      assertEquals(calls("2p"), calls(variant), variant);
    }
    assertEquals(2, calls("locks-uncontended-tls"));
    Scenario.Setup tls = Scenarios.select(List.of("2p-tls")).get(0).setup();
    assertTrue(tls.tls() && tls.coordinators() == 1 && tls.store() == Scenario.Store.H2, tls.toString());
    assertEquals(Scenario.Store.POSTGRES, Scenarios.select(List.of("2p-postgres")).get(0).setup().store());
    Scenario.Setup failover = Scenarios.select(List.of("2p-cluster-failover")).get(0).setup();
    assertEquals(3, failover.coordinators());
    assertEquals(5, failover.leaderKills());
    assertEquals(Scenario.Setup.STANDARD, Scenarios.select(List.of("2p")).get(0).setup());
  }

  @Test
  void aSetupThatCannotRunIsRefusedWithItsReason() {
    IllegalArgumentException even = assertThrows(IllegalArgumentException.class,
        () -> new Scenario.Setup(Scenario.Store.H2, false, 2, 0));
    assertTrue(even.getMessage().contains("3 or 5"), even.getMessage());
    IllegalArgumentException kills = assertThrows(IllegalArgumentException.class,
        () -> new Scenario.Setup(Scenario.Store.H2, false, 1, 5));
    assertTrue(kills.getMessage().contains("cluster"), kills.getMessage());
  }

  @Test
  void medianOfFailoverTimes() {
    assertEquals(2.0, FailoverRun.median(List.of(1.0, 2.0, 9.0)));
    assertEquals(2.5, FailoverRun.median(List.of(1.0, 2.0, 3.0, 9.0)));
  }
}
