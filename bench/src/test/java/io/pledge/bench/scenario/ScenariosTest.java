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
    // Begin, Commit, 2 work calls, 2 Enlists, 2 Prepares, 2 phase-2 Commits.
    assertEquals(10, calls("2p"));
    // Begin, Commit, work, Enlist, one-phase Commit.
    assertEquals(5, calls("1p"));
    // The read-only participant gets no phase-2 Commit.
    assertEquals(9, calls("2p-readonly"));
    // Plus an Acquire per participant and the coordinator's ReleaseAll.
    assertEquals(13, calls("2p-locks"));
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
}
