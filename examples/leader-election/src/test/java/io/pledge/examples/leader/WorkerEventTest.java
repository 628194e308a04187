package io.pledge.examples.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerEventTest {

  @Test
  void everyEventReadsBackFromItsLine() {
    List<WorkerEvent> events = List.of(new WorkerEvent.Elected("worker-2", 43),
        new WorkerEvent.Wrote("worker-2", 17, 43),
        new WorkerEvent.Lost("worker-1", 41, "the ledger rejected its write (token 41 < 43)"),
        new WorkerEvent.Waiting("worker-3"));
    for (WorkerEvent e : events) {
      assertEquals(Optional.of(e), WorkerEvent.parse(e.line()), e.line());
    }
  }

  @Test
  void theLinesReadAsTheBriefWantsThem() {
    assertEquals("worker-2 is leader (token 43)", new WorkerEvent.Elected("worker-2", 43).line());
    assertEquals("worker-1 lost leadership (token 41): its lease could not be renewed (x)",
        new WorkerEvent.Lost("worker-1", 41, "its lease could not be renewed (x)").line());
  }

  @Test
  void otherOutputIsNoEvent() {
    assertTrue(WorkerEvent.parse("22:53:16.460 WARN  [vert.x-eventloop-thread-1] LockHandle - lock lost").isEmpty());
    assertTrue(WorkerEvent.parse("worker-2 started (owner worker-2/11790, lock leader/ledger, lease 3 s)").isEmpty());
  }

  @Test
  void writesAreValidatedAtConstruction() {
    assertThrows(IllegalArgumentException.class, () -> new Write("", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Write("a b", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Write("w", 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Write("w", 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new Rejection("w", 5, 1, 5, 0));
  }
}
