package io.pledge.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.ListTransactionsResponse;
import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 7: {@code pledge-admin tx list} on valid data, 100 transactions with the largest labels allowed
 * (a page of about 830 KB before pages were bounded by bytes: the CLI failed with MessageSizeOverflowException).
 */
class AdminListIT {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static CoordinatorServer coordinator;
  static CoordinatorTestClient client;
  static final List<String> txs = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    coordinator = Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
        "grpc.port", "0", "http.port", "0", "data.dir", dir.toString()))));
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
    for (int t = 0; t < 100; t++) {
      Map<String, String> labels = new HashMap<>();
      for (int i = 0; i < 16; i++) {
        labels.put(String.format("%02d", i) + "k".repeat(254), "v".repeat(256));
      }
      txs.add(Await.result(client.beginAsync(600_000, labels)));
    }
  }

  @AfterAll
  static void stop() {
    txs.forEach(client::rollback);
    client.close();
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  @Test
  void listingTransactionsWithTheLargestLabelsWorks() {
    Cli.Run run = new Cli().run("--coordinator", "127.0.0.1:" + coordinator.grpcPort(), "tx", "list",
        "--limit", "1000");
    assertEquals(0, run.code(), run::toString);
    for (String tx : txs) {
      assertTrue(run.out().contains(tx), () -> tx + " missing from\n" + run);
    }
  }

  @Test
  void aPageIsBoundedByBytesAndPagingReachesEveryTransaction() {
    List<String> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      ListTransactionsResponse page = client.list(ListTransactionsRequest.newBuilder().setPageSize(1000)
          .setPageToken(token).build());
      assertTrue(page.getSerializedSize() <= 256 * 1024, page.getSerializedSize() + " bytes");
      assertFalse(page.getTransactionsList().isEmpty());
      page.getTransactionsList().forEach(t -> seen.add(t.getTxId()));
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertEquals(txs, seen);
    assertTrue(pages >= 4, pages + " pages");
  }
}
