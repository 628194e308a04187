package io.pledge.lock.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WaitForGraphTest {

  private static WaitEdge edge(String owner, String lock, long since, String... waitsFor) {
    return new WaitEdge("w-" + owner + "-" + lock, owner, lock, List.of(waitsFor), since);
  }

  @Test
  void noCycleNoDeadlock() {
    var edges = List.of(edge("A", "L2", 1, "B"), edge("B", "L3", 2, "C"));
    assertTrue(WaitForGraph.findCycle(edges, "A").isEmpty());
  }

  @Test
  void cycleOfTwoPicksYoungest() {
    var edges = List.of(edge("A", "L2", 10, "B"), edge("B", "L1", 20, "A"));
    var d = WaitForGraph.findCycle(edges, "A").orElseThrow();
    assertEquals(List.of("A", "B"), d.cycle());
    assertEquals("B", d.victim().owner());
    assertEquals("L1", d.victim().lock());
    assertTrue(d.message().startsWith("DEADLOCK"));
    assertEquals("B", WaitForGraph.findCycle(edges, "B").orElseThrow().victim().owner(), "same victim from both ends");
  }

  @Test
  void cycleOfThreeAcrossLocks() {
    var edges = List.of(edge("A", "L2", 30, "B"), edge("B", "L3", 10, "C"), edge("C", "L1", 20, "A"),
        edge("D", "L1", 40, "A"));
    var d = WaitForGraph.findCycle(edges, "C").orElseThrow();
    assertEquals(List.of("C", "A", "B"), d.cycle());
    assertEquals("A", d.victim().owner(), "D is younger but not in the cycle");
  }

  @Test
  void waiterBehindCycleIsNotItself() {
    var edges = List.of(edge("A", "L2", 1, "B"), edge("B", "L1", 2, "A"), edge("D", "L1", 3, "A"));
    assertTrue(WaitForGraph.findCycle(edges, "D").isEmpty());
  }

  @Test
  void tieOnAgeBrokenByOwnerId() {
    var edges = List.of(edge("A", "L2", 5, "B"), edge("B", "L1", 5, "A"));
    assertEquals("B", WaitForGraph.findCycle(edges, "A").orElseThrow().victim().owner());
  }
}
