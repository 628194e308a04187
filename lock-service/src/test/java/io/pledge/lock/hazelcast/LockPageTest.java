package io.pledge.lock.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.Waiter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LockPageTest {

  static Map.Entry<String, LockState> held(String name) {
    return Map.entry(name, new LockState(name, List.of(new Holder("tx-1", LockMode.EXCLUSIVE, 1, 1, 10, "g")),
        List.of(), 1, 0, 1, "", List.of()));
  }

  static Map.Entry<String, LockState> awaited(String name) {
    return Map.entry(name, new LockState(name, List.of(), List.of(new Waiter("tx-2", LockMode.SHARED, 5, 1, "w")),
        1, 0, 1, "", List.of()));
  }

  @Test
  void selectsHeldOrAwaitedLocksWithThePrefixAfterTheToken() {
    List<Map.Entry<String, LockState>> all = List.of(held("account:2"), held("account:1"), awaited("account:3"),
        Map.entry("account:4", LockState.empty("account:4")), held("order:1"));
    assertEquals(List.of("account:1", "account:2", "account:3", "order:1"), names(all, new LockPage("", "")));
    assertEquals(List.of("account:1", "account:2", "account:3"), names(all, new LockPage("account:", "")));
    assertEquals(List.of("account:3"), names(all, new LockPage("account:", "account:2")));
    assertEquals(List.of(), names(all, new LockPage("acc", "b")));
  }

  static List<String> names(List<Map.Entry<String, LockState>> entries, LockPage page) {
    List<Map.Entry<String, LockState>> selected = new ArrayList<>(entries.stream().filter(page::apply).toList());
    selected.sort(new LockPage.ByName());
    return selected.stream().map(Map.Entry::getKey).toList();
  }
}
