package io.pledge.examples.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElectionAuditTest {

  private final List<Entry> log = new ArrayList<>();

  private void write(String writer, long token, long seq) {
    log.add(new Entry(log.size() + 1, writer, token, seq, 0));
  }

  @Test
  void successiveLeadersWithRisingTokensPass() {
    write("worker-1", 10, 1);
    write("worker-1", 10, 2);
    write("worker-2", 20, 1);
    write("worker-1", 30, 1);
    ElectionAudit audit = ElectionAudit.of(log, List.of(new Rejection("worker-2", 20, 2, 30, 0)));

    assertTrue(audit.ok(), audit.violations().toString());
    assertEquals(List.of(new ElectionAudit.Reign("worker-1", 10, 2), new ElectionAudit.Reign("worker-2", 20, 1),
        new ElectionAudit.Reign("worker-1", 30, 1)), audit.reigns());
    assertEquals(4, audit.accepted());
    assertTrue(audit.lines().get(2).startsWith("LEDGER CHECK OK"), audit.lines().toString());
    assertTrue(audit.lines().get(1).contains("stale writes rejected: 1 (worker-2 token 20 < 30)"));
  }

  @Test
  void anEmptyLedgerPasses() {
    assertTrue(ElectionAudit.of(List.of(), List.of()).ok());
  }

  @Test
  void aLowerTokenAfterAHigherOneIsAStaleWrite() {
    write("worker-1", 10, 1);
    write("worker-2", 20, 1);
    write("worker-1", 10, 2);
    ElectionAudit audit = ElectionAudit.of(log, List.of());

    assertFalse(audit.ok());
    assertTrue(audit.violations().stream().anyMatch(v -> v.contains("token 10 after token 20")), audit.violations()
        .toString());
    assertTrue(audit.violations().stream().anyMatch(v -> v.contains("interleaves")), audit.violations().toString());
  }

  @Test
  void twoWritersUnderOneTokenAreTwoLeaders() {
    write("worker-1", 10, 1);
    write("worker-2", 10, 1);
    ElectionAudit audit = ElectionAudit.of(log, List.of());

    assertEquals(List.of("token 10 was used by worker-1 and by worker-2 (entry #2)"), audit.violations());
  }

  @Test
  void aDuplicatedOrReorderedWriteIsCaught() {
    write("worker-1", 10, 1);
    write("worker-1", 10, 3);
    write("worker-1", 10, 2);
    ElectionAudit audit = ElectionAudit.of(log, List.of());

    assertEquals(List.of("worker-1 wrote seq 2 after seq 3 (entry #3)"), audit.violations());
  }

  @Test
  void aRejectionMustCiteAnAcceptedToken() {
    write("worker-1", 10, 1);
    ElectionAudit audit = ElectionAudit.of(log, List.of(new Rejection("worker-2", 5, 1, 7, 0)));

    assertFalse(audit.ok());
    assertTrue(audit.lines().stream().anyMatch(l -> l.startsWith("LEDGER CHECK FAILED: the rejection of worker-2")));
  }
}
