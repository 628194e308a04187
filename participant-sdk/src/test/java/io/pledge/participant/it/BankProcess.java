package io.pledge.participant.it;

import io.pledge.testkit.JvmProcess;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A {@link BankParticipantMain} child JVM that keeps its ports and data across kill and restart. */
final class BankProcess implements AutoCloseable {

  private final String name;
  private final Path dataDir;
  private final int coordinatorPort;
  private final HttpClient http = HttpClient.newHttpClient();
  private JvmProcess process;
  private int grpcPort;
  private int httpPort;

  BankProcess(String name, Path dataDir, int coordinatorPort) {
    this.name = name;
    this.dataDir = dataDir;
    this.coordinatorPort = coordinatorPort;
  }

  BankProcess start(boolean stallPhase2) {
    return start(stallPhase2, List.of());
  }

  /** Starts (or restarts) the bank with {@code extra} flags (database, crash point, timeouts). */
  BankProcess start(boolean stallPhase2, List<String> extra) {
    List<String> args = new ArrayList<>(List.of("--coordinator.endpoint=127.0.0.1:" + coordinatorPort,
        "--participant.data.dir=" + dataDir, "--participant.port=" + grpcPort, "--bank.http.port=" + httpPort,
        "--participant.recovery.backoff.initial=50ms", "--participant.recovery.backoff.max=500ms",
        "--bank.stall-phase2=" + stallPhase2, "--bank.participant-id=" + name));
    args.addAll(extra);
    process = JvmProcess.start(name, BankParticipantMain.class.getName(), args, Map.of(), dataDir.getParent());
    String ready = process.awaitLine(l -> l.startsWith("BANK READY"), Duration.ofSeconds(60));
    grpcPort = Integer.parseInt(ready.replaceAll(".*grpc=(\\d+).*", "$1"));
    httpPort = Integer.parseInt(ready.replaceAll(".*http=(\\d+).*", "$1"));
    return this;
  }

  void kill() {
    process.kill();
  }

  JvmProcess process() {
    return process;
  }

  int grpcPort() {
    return grpcPort;
  }

  int httpPort() {
    return httpPort;
  }

  /** {inDoubt, xaPrepared, total}. */
  JsonObject status() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/status"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(name + " status " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
