package io.pledge.lock.it;

import io.pledge.common.config.Config;
import io.pledge.lock.LockServer;
import io.pledge.lock.config.LockServiceOptions;
import java.util.concurrent.CountDownLatch;

/** A lock-service member in a child JVM: settings as flags; prints {@code READY <grpcPort>} once it serves. */
public final class ChildMember {

  private ChildMember() {}

  public static void main(String[] args) throws Exception {
    LockServer server = LockServer.start(Config.load(LockServiceOptions.ALL, args, java.util.Map.of()));
    System.out.println("READY " + server.grpcPort());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
