package io.pledge.coordinator.state;

import static io.pledge.coordinator.state.TxState.ACTIVE;
import static io.pledge.coordinator.state.TxState.COMMITTED;
import static io.pledge.coordinator.state.TxState.COMMITTING;
import static io.pledge.coordinator.state.TxState.PREPARED;
import static io.pledge.coordinator.state.TxState.PREPARING;
import static io.pledge.coordinator.state.TxState.ROLLED_BACK;
import static io.pledge.coordinator.state.TxState.ROLLING_BACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class TxStateTest {

  private record Edge(TxState from, TxState to) {
    @Override
    public String toString() {
      return from + " -> " + to;
    }
  }

  /** The whole table, written out: changing {@link TxState#canFollow} must change this list too. */
  private static final Set<Edge> LEGAL = Set.of(
      new Edge(ACTIVE, PREPARING),
      new Edge(ACTIVE, COMMITTED),
      new Edge(ACTIVE, ROLLING_BACK),
      new Edge(ACTIVE, ROLLED_BACK),
      new Edge(PREPARING, PREPARED),
      new Edge(PREPARING, COMMITTED),
      new Edge(PREPARING, ROLLING_BACK),
      new Edge(PREPARING, ROLLED_BACK),
      new Edge(PREPARED, COMMITTING),
      new Edge(COMMITTING, COMMITTED),
      new Edge(ROLLING_BACK, ROLLED_BACK));

  @Test
  void legalTransitionsAreExactlyTheTable() {
    Set<Edge> actual = new LinkedHashSet<>();
    for (TxState from : TxState.values()) {
      for (TxState to : TxState.values()) {
        if (to.canFollow(from)) {
          actual.add(new Edge(from, to));
        }
      }
    }
    assertEquals(LEGAL, actual);
  }

  @Test
  void everyPairOutsideTheTableIsIllegal() {
    int illegal = 0;
    for (TxState from : TxState.values()) {
      for (TxState to : TxState.values()) {
        Edge edge = new Edge(from, to);
        if (!LEGAL.contains(edge)) {
          assertFalse(to.canFollow(from), edge::toString);
          illegal++;
        }
      }
    }
    assertEquals(7 * 7 - LEGAL.size(), illegal);
  }

  @Test
  void noStateFollowsItselfAndNothingLeadsBackToActive() {
    for (TxState s : TxState.values()) {
      assertFalse(s.canFollow(s), s::toString);
      assertFalse(ACTIVE.canFollow(s), s::toString);
    }
  }

  @Test
  void finishedStatesHaveNoSuccessor() {
    for (TxState from : EnumSet.of(COMMITTED, ROLLED_BACK)) {
      for (TxState to : TxState.values()) {
        assertFalse(to.canFollow(from), from + " -> " + to);
      }
    }
  }

  @Test
  void decidedStatesOnlyMoveToTheirOwnOutcome() {
    for (Edge edge : LEGAL) {
      if (edge.from().isDecided()) {
        assertEquals(edge.from().outcome(), edge.to().outcome(), edge::toString);
      }
    }
  }

  @Test
  void isFinished() {
    assertEquals(EnumSet.of(COMMITTED, ROLLED_BACK), matching(TxState::isFinished));
  }

  @Test
  void isDecided() {
    assertEquals(EnumSet.of(COMMITTING, COMMITTED, ROLLING_BACK, ROLLED_BACK), matching(TxState::isDecided));
  }

  @Test
  void outcome() {
    List<Outcome> expected = List.of(Outcome.PENDING, Outcome.PENDING, Outcome.PENDING, Outcome.COMMITTED,
        Outcome.COMMITTED, Outcome.ABORTED, Outcome.ABORTED);
    assertEquals(List.of(ACTIVE, PREPARING, PREPARED, COMMITTING, COMMITTED, ROLLING_BACK, ROLLED_BACK),
        List.of(TxState.values()));
    assertEquals(expected, List.of(TxState.values()).stream().map(TxState::outcome).toList());
  }

  @Test
  void decidedIffOutcomeIsKnown() {
    for (TxState s : TxState.values()) {
      assertEquals(s.isDecided(), s.outcome() != Outcome.PENDING, s::toString);
    }
  }

  private static Set<TxState> matching(Predicate<TxState> p) {
    Set<TxState> out = EnumSet.noneOf(TxState.class);
    for (TxState s : TxState.values()) {
      if (p.test(s)) {
        out.add(s);
      }
    }
    return out;
  }
}
