package io.pledge.lock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.v1.InspectLockResponse;
import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockClient.Request;
import io.pledge.lock.client.LockException;
import io.pledge.lock.client.LockHandle;
import io.pledge.testkit.JvmProcess;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 4: a single lock-service member (a child JVM) is killed with SIGKILL and restarted on the same ports;
 * it has lost every lock. With the defaults, no new grant may be made during its start-up grace while holders, whose
 * handles renew automatically, re-assert their locks with their fencing tokens. A contender waits behind the
 * re-asserted holder and gets a higher token once it releases; a lock whose holder never comes back is granted after
 * the grace, also with a higher token than before the crash.
 */
class RestartGraceIT {

  private static final Duration LEASE = Duration.ofSeconds(8);
  /** The grace: lock.max-lease + lock.delay-margin. */
  private static final Duration GRACE = Duration.ofSeconds(9);

  private final List<JvmProcess> started = new ArrayList<>();
  private final List<LockClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(LockClient::close);
    started.forEach(JvmProcess::kill);
  }

  @Test
  void holdersReassertAfterARestartAndNobodyIsGrantedTheirLocksMeanwhile() throws Exception {
    int hazelcastPort = freePort();
    int grpcPort = freePort();
    JvmProcess member = startMember(hazelcastPort, grpcPort);
    Endpoint endpoint = new Endpoint("127.0.0.1", grpcPort);
    LockClient holderClient = client(endpoint);
    List<LockException> lost = new CopyOnWriteArrayList<>();
    LockHandle kept = holderClient.acquireBlocking(Request.exclusive("restart/kept", "coord-0:1:1", LEASE)
        .autoRenew((h, e) -> lost.add(e)));
    LockHandle abandoned = holderClient.acquireBlocking(Request.exclusive("restart/abandoned", "coord-0:1:2", LEASE)
        .autoRenew((h, e) -> lost.add(e)));
    abandoned.stopRenewing(); // its holder never comes back (a participant that died with the service)

    member.kill();
    long restartedAt = System.currentTimeMillis();
    startMember(hazelcastPort, grpcPort);

    LockClient contenders = client(endpoint);
    Future<LockHandle> contender = contenders.acquire(Request.exclusive("restart/kept", "coord-0:2:1", LEASE)
        .waitingUpTo(Duration.ofSeconds(60)));
    Future<LockHandle> successor = contenders.acquire(Request.exclusive("restart/abandoned", "coord-0:2:2", LEASE)
        .waitingUpTo(Duration.ofSeconds(60)));
    LockException busy = assertThrows(() -> contenders.tryAcquireBlocking(
        Request.exclusive("restart/kept", "coord-0:2:3", LEASE)));
    assertInstanceOf(LockException.Busy.class, busy, busy.getMessage());

    // The holder's handle re-asserts on its next renewal, with its token; the contender still waits.
    await().atMost(LEASE).until(() -> holderOf(contenders, "restart/kept").equals("coord-0:1:1"));
    InspectLockResponse reasserted = join(contenders.inspect("restart/kept"));
    assertEquals(kept.token(), reasserted.getHolders(0).getFencingToken(), "the re-created lock keeps its token");
    assertFalse(contender.isComplete(), "the contender was granted a lock its holder re-asserted");
    // Past the grace the re-asserted lock is still held: the contender waits for the holder, not for the clock.
    long graceEnd = restartedAt + GRACE.toMillis();
    await().atMost(GRACE.plusSeconds(5)).until(() -> System.currentTimeMillis() > graceEnd + 500);
    assertFalse(contender.isComplete(), "the contender was granted while the holder still held the lock");
    assertTrue(lost.isEmpty(), "the holder lost its lock: " + lost);

    // The abandoned lock went to the successor only once the grace was over, with a higher token.
    LockHandle next = join(successor);
    assertTrue(next.token() > abandoned.token(), "token " + next.token() + " after " + abandoned.token());

    // The owner index went with the restart too; the holder's re-assertion and renewals recorded the lock again, so
    // ReleaseAll (the coordinator's, at END) finds it.
    kept.stopRenewing();
    assertEquals(List.of("restart/kept"), join(contenders.releaseAll("coord-0:1:1")).getReleasedList());
    LockHandle second = join(contender);
    assertTrue(second.token() > kept.token(), "token " + second.token() + " after " + kept.token());
    System.out.printf("restart: kept token %d, contender %d; abandoned token %d, successor %d%n", kept.token(),
        second.token(), abandoned.token(), next.token());
    second.close();
    next.close();
  }

  private JvmProcess startMember(int hazelcastPort, int grpcPort) {
    List<String> args = new ArrayList<>();
    Map<String, String> settings = Servers.memberSettings(hazelcastPort, List.of(hazelcastPort), Map.of("grpc.port",
        Integer.toString(grpcPort), "lock.max-lease", "8s", "lock.delay-margin", "1s", "hazelcast.cluster-name",
        "pledge-restart-" + hazelcastPort));
    settings.remove("lock.delay-on-start"); // the default is what this test is about
    settings.forEach((k, v) -> args.add("--" + k + "=" + v));
    JvmProcess m = JvmProcess.start("member", ChildMember.class.getName(), args, Map.of(), Path.of("."));
    started.add(m);
    m.awaitLine(l -> l.startsWith("READY "), Duration.ofSeconds(90));
    return m;
  }

  private LockClient client(Endpoint endpoint) {
    LockClient c = LockClient.create(endpoint);
    clients.add(c);
    return c;
  }

  private static String holderOf(LockClient client, String lock) {
    InspectLockResponse r = join(client.inspect(lock));
    return r.getHoldersCount() == 0 ? "" : r.getHolders(0).getOwner();
  }

  private static LockException assertThrows(Runnable call) {
    try {
      call.run();
    } catch (LockException e) {
      return e;
    }
    throw new AssertionError("expected a LockException");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static <T> T join(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw LockException.from(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
