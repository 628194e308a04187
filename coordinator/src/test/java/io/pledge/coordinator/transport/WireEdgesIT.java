package io.pledge.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.EnlistRequest;
import io.pledge.api.v1.GetTransactionRequest;
import io.pledge.common.config.Config;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.pledge.testkit.CoordinatorTestClient;
import io.pledge.testkit.RawGrpc;
import io.pledge.testkit.RawGrpc.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client that is not Pledge's own Java stubs can put on the wire (issue 12 items 1, 6, 8), sent as raw HTTP/2
 * frames, and what comes back on the wire: a status with a readable message, never a stream reset.
 */
class WireEdgesIT {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static CoordinatorServer coordinator;
  static RawGrpc raw;
  static CoordinatorTestClient client;

  static final List<String> METHODS = List.of("pledge.v1.TransactionCoordinator/Begin",
      "pledge.v1.TransactionCoordinator/Enlist", "pledge.v1.TransactionCoordinator/Commit",
      "pledge.v1.TransactionCoordinator/Rollback", "pledge.v1.TransactionCoordinator/GetOutcome",
      "pledge.v1.TransactionCoordinator/GetTransaction", "pledge.v1.TransactionCoordinator/ListTransactions",
      "pledge.v1.CoordinatorAdmin/Resolve", "pledge.v1.CallSession/Open");

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    coordinator = Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
        "grpc.port", "0", "http.port", "0", "data.dir", dir.toString(),
        "participant.endpoint-allow", "127.0.0.1:1, *.bank.svc",
        "metrics.max-participant-series", "20"))));
    raw = new RawGrpc(vertx, coordinator.grpcPort());
    client = new CoordinatorTestClient(vertx, coordinator.grpcPort());
  }

  @AfterAll
  static void stop() {
    client.close();
    raw.close();
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  static Reply call(String method, Map<String, String> headers, Buffer body) {
    return Await.result(raw.call(method, headers, body));
  }

  @Test
  void malformedMessagesAreInvalidArgumentOnEveryMethod() {
    // 0xff 0xff ...: a field tag whose varint never ends, not a message of any type.
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    for (String method : METHODS) {
      Reply reply = call(method, Map.of(), RawGrpc.frame(garbage, false));
      assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), method + ": " + reply);
      assertTrue(reply.message().contains("not a valid"), method + ": " + reply);
    }
  }

  @Test
  void aMessageFlaggedCompressedWithoutAnEncodingIsInvalid() {
    Reply reply = call(METHODS.get(5), Map.of(), RawGrpc.frame(RawGrpc.gzipBomb(1 << 20), true));
    assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), reply.toString());
  }

  @Test
  void compressedRequestsAreRefusedBeforeTheyAreInflated() {
    // ~250 KB of gzip that inflates to 250 MB: the coordinator's heap would have to hold it whole.
    byte[] bomb = RawGrpc.gzipBomb(250 << 20);
    assertTrue(bomb.length < 256 * 1024, "bomb is " + bomb.length + " bytes");
    for (String method : METHODS) {
      Reply reply = call(method, Map.of("grpc-encoding", "gzip"), RawGrpc.frame(bomb, true));
      assertEquals(GrpcStatus.INVALID_ARGUMENT.code, reply.status(), method + ": " + reply);
      assertTrue(reply.message().contains("compressed requests are refused"), reply.toString());
    }
  }

  @Test
  void oversizedMessagesAreResourceExhaustedWithAMessage() {
    Reply reply = call(METHODS.get(5), Map.of(), RawGrpc.frame(new byte[300 * 1024], false));
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED.code, reply.status(), reply.toString());
    assertNotNull(reply.rawMessage(), "RESOURCE_EXHAUSTED without a message");
    assertTrue(reply.message().contains("307200 bytes") && reply.message().contains("262144"), reply.toString());
  }

  @Test
  void statusMessagesArePercentEncodedOnce() {
    Reply reply = call(METHODS.get(5), Map.of(), RawGrpc.frame(GetTransactionRequest.newBuilder()
        .setTxId("coord-0:1:999999").build().toByteArray(), false));
    assertEquals(GrpcStatus.NOT_FOUND.code, reply.status(), reply.toString());
    // On the wire as the gRPC spec encodes it (printable ASCII as is): grpc-js decodes with decodeURI, which
    // leaves %3A alone, so ':' encoded reached Node users as "coord-0%3A1%3A999999".
    assertTrue(reply.rawMessage().contains("coord-0:1:999999"), "on the wire: " + reply.rawMessage());
    assertTrue(reply.message().contains("coord-0:1:999999"), "decoded once: " + reply.message());
  }

  @Test
  void transactionIdsHaveOneCanonicalForm() {
    String id = client.begin();
    String[] parts = id.split(":");
    for (String variant : List.of(parts[0] + ":+" + parts[1] + ":" + parts[2], parts[0] + ":0" + parts[1] + ":"
        + parts[2], parts[0] + ":" + parts[1] + ":0" + parts[2])) {
      BadInputIT.assertStatus(GrpcStatus.INVALID_ARGUMENT, "canonical", client.getAsync(variant));
      // the message names the id as sent, '+' included (Vert.x's client decoder would make it a space)
      BadInputIT.assertStatus(GrpcStatus.INVALID_ARGUMENT, "'" + variant + "'", client.getAsync(variant));
      BadInputIT.assertStatus(GrpcStatus.INVALID_ARGUMENT, "canonical", client.rollbackAsync(variant));
    }
    client.rollback(id);
  }

  @Test
  void participantIdsWithControlCharactersAreRefused() {
    String id = client.begin();
    for (String bad : List.of("bank\u0000a", "bank-a\nWARN forged line", "a\rb")) {
      BadInputIT.assertStatus(GrpcStatus.INVALID_ARGUMENT, "control character",
          client.enlistAsync(id, bad, "127.0.0.1:1"));
    }
    client.rollback(id);
  }

  @Test
  void enlistEndpointsOutsideTheAllowListAreDenied() {
    String id = client.begin();
    BadInputIT.assertStatus(GrpcStatus.PERMISSION_DENIED, "participant.endpoint-allow",
        client.enlistAsync(id, "p", "10.0.0.5:6379"));
    BadInputIT.assertStatus(GrpcStatus.PERMISSION_DENIED, "participant.endpoint-allow",
        client.enlistAsync(id, "p", "127.0.0.1:2"));
    assertTrue(Await.result(client.enlistAsync(id, "p", "127.0.0.1:1")) != null);
    assertTrue(Await.result(client.enlistAsync(id, "q", "a.bank.svc:7500")) != null);
    client.rollback(id);
  }

  @Test
  void participantIdsDoNotGrowTheMetricsWithoutBound() {
    // 150 participant ids, each prepared (and failing: nothing listens on port 1) once.
    for (int t = 0; t < 3; t++) {
      String id = client.begin();
      int base = t * 50;
      IntStream.range(base, base + 50).forEach(i -> Await.result(client.enlistAsync(id, "p-" + i, "127.0.0.1:1")));
      client.commit(id);
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> series().size() > 0);
    List<String> series = series();
    assertTrue(series.size() <= 21, series.size() + " prepare-latency series: " + series);
    assertTrue(series.contains("other"), series.toString());
  }

  private static List<String> series() {
    return coordinator.registry().find("pledge.prepare.latency").timers().stream()
        .map(t -> t.getId().getTag("participant")).distinct().collect(Collectors.toList());
  }

  @Test
  void manyOpenStreamsOnOneConnectionDoNotStarveAnotherCall() {
    // Issue 12 item 10: with Vert.x's default of 100 streams per connection, a client's 100 waiting calls made
    // its next call on the same connection wait for one of them to end.
    List<io.vertx.core.http.HttpClientRequest> open = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      open.add(Await.result(raw.open("pledge.v1.CallSession/Open")));
    }
    Reply reply = Await.result(raw.call(METHODS.get(5), Map.of(), RawGrpc.frame(GetTransactionRequest.newBuilder()
        .setTxId("coord-0:1:999999").build().toByteArray(), false)), 5);
    assertEquals(GrpcStatus.NOT_FOUND.code, reply.status(), reply.toString());
    open.forEach(r -> r.reset());
  }

  @Test
  void enlistRequestFieldsStillWorkUnary() {
    // the guard leaves well-formed requests alone
    String id = client.begin();
    Reply reply = call(METHODS.get(1), Map.of(), RawGrpc.frame(EnlistRequest.newBuilder().setTxId(id)
        .setParticipantId("p").setEndpoint("127.0.0.1:1").build().toByteArray(), false));
    assertEquals(0, reply.status(), reply.toString());
    client.rollback(id);
  }
}
