package io.pledge.examples.bank;

import io.pledge.common.grpc.Endpoint;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BankService} in its own JVM, started with this JVM's class path, so that a crash is a real
 * {@code kill -9}. It keeps its ports and data directory across a restart: the coordinator delivers phase 2 of
 * unfinished transactions to the endpoint the bank enlisted with.
 *
 * <p>Blocking: used only from the demo's main thread.
 */
final class BankProcess implements AutoCloseable {

  private final String name;
  private final Path dir;
  private final List<String> settings;
  private final int httpPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;

  BankProcess(String name, Path dir, Endpoint coordinator, Endpoint locks, int accounts, long initialBalance)
      throws IOException {
    this(name, dir, coordinator, locks, accounts, initialBalance, List.of());
  }

  /** @param extra further flags: {@code --db=jdbc:postgresql://...}, the bank's tls.* ({@link DemoTls}, {@code ThrowawayPki.flags}) */
  BankProcess(String name, Path dir, Endpoint coordinator, Endpoint locks, int accounts, long initialBalance,
      List<String> extra) throws IOException {
    this(name, dir, List.of(coordinator), locks, accounts, initialBalance, extra);
  }

  /** @param coordinators one coordinator, or a cluster's members (the bank follows its leader) */
  BankProcess(String name, Path dir, List<Endpoint> coordinators, Endpoint locks, int accounts, long initialBalance,
      List<String> extra) throws IOException {
    this.name = name;
    this.dir = dir;
    this.httpPort = freePort();
    List<String> settings = new ArrayList<>(List.of("--bank.name=" + name, "--bank.http.port=" + httpPort,
        "--participant.port=" + freePort(), "--participant.data.dir=" + dir.resolve(name),
        "--coordinator.endpoint=" + coordinators.stream().map(Endpoint::toString)
            .collect(java.util.stream.Collectors.joining(",")), "--locks.endpoint=" + locks, "--bank.accounts=" + accounts,
        "--bank.initial-balance=" + initialBalance, "--participant.recovery.backoff.max=1s"));
    settings.addAll(extra);
    this.settings = List.copyOf(settings);
  }

  /** Starts the JVM and waits until its HTTP API answers. */
  BankProcess start(Duration timeout) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(javaExecutable(), "-Xmx256m", "-cp",
        System.getProperty("java.class.path"), BankService.class.getName()));
    command.addAll(settings);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
    builder.environment().put("PLEDGE_LOG_LEVEL", "INFO");
    process = builder.start();
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log());
      }
      try {
        status();
        return this;
      } catch (IOException e) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(name + " not ready after " + timeout + "; see " + log(), e);
        }
        process.waitFor(200, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** {@code kill -9}: no shutdown hook, no flush; what is not on disk is gone. */
  long kill() throws InterruptedException {
    long pid = process.pid();
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    return pid;
  }

  String name() {
    return name;
  }

  int httpPort() {
    return httpPort;
  }

  Path log() {
    return dir.resolve(name + ".log");
  }

  /** The bank's {@code GET /status}: total, inDoubt, xaPrepared, ... */
  JsonObject status() throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/status"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(name + " /status answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /** SIGTERM, then SIGKILL if it does not stop in time. */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static String javaExecutable() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A port free now; the race with another program taking it before the bank binds is accepted for a demo. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
