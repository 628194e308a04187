package io.pledge.chaos;

import io.pledge.common.grpc.Endpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The deployment the nemesis attacks, every server a JVM of its own as a user would run it: one lock-service member,
 * one coordinator, and two bank services ({@code io.pledge.examples.bank.BankService}: H2 accounts through the XA
 * adapter, account locks through the lock service). Ports and data directories are fixed for the whole run.
 */
public final class ChaosCluster implements AutoCloseable {

  public static final String BANK_A = "bank-a";
  public static final String BANK_B = "bank-b";

  private final ChaosNode locks;
  private final ChaosNode coordinator;
  private final ChaosNode bankA;
  private final ChaosNode bankB;
  private final Endpoint lockEndpoint;
  private final Endpoint coordinatorEndpoint;
  private final int bankAHttp;
  private final int bankBHttp;
  private final Path dir;

  private ChaosCluster(Path dir, ChaosSettings settings) {
    this.dir = dir;
    Map<String, String> env = Map.of("PLEDGE_LOG_LEVEL", "INFO");
    lockEndpoint = new Endpoint("127.0.0.1", freePort());
    locks = new ChaosNode("locks", ChaosNode.Kind.LOCKS, "io.pledge.lock.LockServiceMain", List.of(
        "--grpc.port=" + lockEndpoint.port(), "--ops.port=" + freePort(), "--hazelcast.port=" + freePort(),
        "--hazelcast.cluster-name=chaos-" + UUID.randomUUID(), "--lock.max-lease=" + settings.lockLease().toSeconds()
            * 2 + "s", "--lock.delay-margin=1s"), env, dir, l -> l.contains("lock service started"));
    coordinatorEndpoint = new Endpoint("127.0.0.1", freePort());
    coordinator = new ChaosNode("coordinator", ChaosNode.Kind.COORDINATOR, "io.pledge.coordinator.CoordinatorMain",
        List.of("--node.id=coord-0", "--data.dir=" + dir.resolve("coordinator"),
            "--grpc.port=" + coordinatorEndpoint.port(), "--http.port=" + freePort(),
            "--locks.endpoint=" + lockEndpoint, "--tx.prepare-timeout=3s", "--participant.retry-cap=1s"),
        env, dir, l -> l.contains("PLEDGE-COORDINATOR READY"));
    bankAHttp = freePort();
    bankBHttp = freePort();
    bankA = bank(BANK_A, bankAHttp, settings, env);
    bankB = bank(BANK_B, bankBHttp, settings, env);
  }

  private ChaosNode bank(String name, int httpPort, ChaosSettings settings, Map<String, String> env) {
    List<String> args = new ArrayList<>(List.of("--bank.name=" + name, "--bank.http.port=" + httpPort,
        "--participant.port=" + freePort(), "--participant.data.dir=" + dir.resolve(name),
        "--coordinator.endpoint=" + coordinatorEndpoint, "--locks.endpoint=" + lockEndpoint,
        "--bank.accounts=" + settings.accounts(), "--bank.initial-balance=" + settings.initialBalance(),
        "--bank.lock.lease=" + settings.lockLease().toMillis() + "ms", "--bank.lock.wait=3s",
        "--participant.recovery.backoff.max=1s"));
    return new ChaosNode(name, ChaosNode.Kind.BANK, "io.pledge.examples.bank.BankService", args, env, dir,
        l -> l.contains("BANK READY"));
  }

  /** Starts every server (lock service, coordinator, banks) and waits until each is ready. */
  public static ChaosCluster start(Path dir, ChaosSettings settings) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChaosCluster cluster = new ChaosCluster(dir, settings);
    try {
      cluster.locks.start();
      cluster.coordinator.start();
      cluster.bankA.start();
      cluster.bankB.start();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  public List<ChaosNode> nodes() {
    return List.of(coordinator, locks, bankA, bankB);
  }

  public ChaosNode coordinator() {
    return coordinator;
  }

  public List<ChaosNode> banks() {
    return List.of(bankA, bankB);
  }

  public Endpoint coordinatorEndpoint() {
    return coordinatorEndpoint;
  }

  public Endpoint lockEndpoint() {
    return lockEndpoint;
  }

  /** The HTTP port of a bank's API ({@code /debit}, {@code /credit}, {@code /status}, {@code /accounts}). */
  public int httpPort(String bank) {
    return switch (bank) {
      case BANK_A -> bankAHttp;
      case BANK_B -> bankBHttp;
      default -> throw new IllegalArgumentException("no bank " + bank);
    };
  }

  public Path dir() {
    return dir;
  }

  /** Brings every node back up (resumes the frozen, restarts the dead), lock service and coordinator first. */
  public void heal() {
    locks.heal();
    coordinator.heal();
    bankA.heal();
    bankB.heal();
  }

  @Override
  public void close() {
    for (ChaosNode node : List.of(bankA, bankB, coordinator, locks)) {
      try {
        node.stop();
      } catch (RuntimeException e) {
        // closing what is left: keep going
      }
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
