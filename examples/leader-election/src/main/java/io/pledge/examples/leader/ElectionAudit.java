package io.pledge.examples.leader;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The verdict on a ledger after an election run, from its entries alone (pure: no I/O). Safe leader election through
 * fencing means, in the order of the log:
 * <ol>
 *   <li>accepted tokens never decrease;</li>
 *   <li>every token belongs to one writer (one grant, one leader);</li>
 *   <li>the writes of one token form one contiguous run: no two leaders' writes interleave;</li>
 *   <li>within a run the writer's sequence numbers increase (nothing duplicated or reordered);</li>
 *   <li>every rejection names as the highest token one the ledger did accept.</li>
 * </ol>
 *
 * @param reigns the runs of one leader's writes, in log order
 * @param violations empty when every rule holds
 */
public record ElectionAudit(List<Reign> reigns, int accepted, List<Rejection> rejections, List<String> violations) {

  /** A leader's run of writes under one token. */
  public record Reign(String writer, long token, int writes) {}

  public ElectionAudit {
    reigns = List.copyOf(reigns);
    rejections = List.copyOf(rejections);
    violations = List.copyOf(violations);
  }

  public static ElectionAudit of(List<Entry> entries, List<Rejection> rejections) {
    List<String> violations = new ArrayList<>();
    List<Reign> reigns = new ArrayList<>();
    Map<Long, String> writerOf = new HashMap<>();
    Set<Long> ended = new HashSet<>();
    Entry previous = null;
    for (Entry e : entries) {
      if (previous != null && e.index() <= previous.index()) {
        violations.add("entry #" + e.index() + " follows #" + previous.index() + ": the log is out of order");
      }
      if (previous != null && e.token() < previous.token()) {
        violations.add("entry #" + e.index() + " by " + e.writer() + " has token " + e.token() + " after token "
            + previous.token() + ": a stale leader's write got in");
      }
      String owner = writerOf.putIfAbsent(e.token(), e.writer());
      if (owner != null && !owner.equals(e.writer())) {
        violations.add("token " + e.token() + " was used by " + owner + " and by " + e.writer() + " (entry #"
            + e.index() + ")");
      }
      boolean sameRun = previous != null && previous.token() == e.token();
      if (sameRun) {
        if (e.writer().equals(previous.writer()) && e.seq() <= previous.seq()) {
          violations.add(e.writer() + " wrote seq " + e.seq() + " after seq " + previous.seq() + " (entry #"
              + e.index() + ")");
        }
        Reign last = reigns.remove(reigns.size() - 1);
        reigns.add(new Reign(last.writer(), last.token(), last.writes() + 1));
      } else {
        if (previous != null) {
          ended.add(previous.token());
        }
        if (ended.contains(e.token())) {
          violations.add("entry #" + e.index() + " by " + e.writer() + " (token " + e.token()
              + ") interleaves with another leader's writes");
        }
        reigns.add(new Reign(e.writer(), e.token(), 1));
      }
      previous = e;
    }
    for (Rejection r : rejections) {
      if (!writerOf.containsKey(r.highest())) {
        violations.add("the rejection of " + r.writer() + " (token " + r.token() + ") cites token " + r.highest()
            + ", which no accepted entry carries");
      }
    }
    return new ElectionAudit(reigns, entries.size(), rejections, violations);
  }

  public boolean ok() {
    return violations.isEmpty();
  }

  /** The summary lines the demo prints. */
  public List<String> lines() {
    List<String> out = new ArrayList<>();
    out.add("leaders, in ledger order: " + (reigns.isEmpty() ? "none" : reigns.stream()
        .map(r -> r.writer() + " (token " + r.token() + ", " + r.writes() + (r.writes() == 1 ? " write)" : " writes)"))
        .collect(Collectors.joining(", "))));
    out.add("writes accepted: " + accepted + "; stale writes rejected: " + rejections.size() + (rejections.isEmpty()
        ? "" : " (" + rejections.stream().map(r -> r.writer() + " token " + r.token() + " < " + r.highest())
            .collect(Collectors.joining(", ")) + ")"));
    if (ok()) {
      out.add("LEDGER CHECK OK: accepted tokens never decrease, each token has one writer, no two leaders' writes"
          + " interleave");
    } else {
      violations.forEach(v -> out.add("LEDGER CHECK FAILED: " + v));
    }
    return out;
  }
}
