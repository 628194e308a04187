package io.pledge.lock.it;

import io.pledge.common.grpc.Endpoint;
import io.pledge.lock.client.LockClient;
import io.pledge.lock.client.LockHandle;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A client in a child JVM: acquires {@code lock} as {@code owner} with a lease and auto-renewal, prints
 * {@code HELD <token>}, and holds it until killed.
 */
public final class ChildHolder {

  private ChildHolder() {}

  public static void main(String[] args) throws Exception {
    Endpoint server = Endpoint.parse(args[0]);
    LockClient client = LockClient.create(server);
    LockHandle h = client.acquireBlocking(LockClient.Request.exclusive(args[1], args[2],
        Duration.ofMillis(Long.parseLong(args[3]))).autoRenew((handle, e) -> System.out.println("LOST " + e)));
    System.out.println("HELD " + h.token());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
