package io.pledge.bench.baseline;

import com.arjuna.ats.arjuna.common.ObjectStoreEnvironmentBean;
import com.arjuna.ats.arjuna.common.arjPropertyManager;
import com.arjuna.common.internal.util.propertyservice.BeanPopulator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pledge.bench.load.Operation;
import io.pledge.bench.load.Outcome;
import io.pledge.bench.participant.KvStore;
import io.pledge.bench.sut.Node;
import io.pledge.bench.sut.Role;
import io.pledge.bench.workload.Workload;
import io.vertx.core.Promise;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Baseline (b): Narayana's JTA transaction manager in this JVM committing the same participants' work through XA.
 * Its ObjectStore lives in {@code dir} with sync writes on (Narayana's default file store, one sync per log write);
 * each participant's branch forces its prepared record to the participant's own {@link KvStore}, exactly what the
 * participant SDK forces at prepare.
 *
 * <p>JTA is thread-bound and blocking, so each client is a platform thread of a pool as large as the concurrency.
 * Narayana is configured through JVM-wide singletons: one object-store directory per JVM, set before its first
 * use.
 */
public final class NarayanaWorkload implements Workload {

  private static boolean configured;

  private final List<KvStore> stores = new ArrayList<>();
  private final List<SimpleMeterRegistry> registries = new ArrayList<>();
  private final ExecutorService threads;
  private final TransactionManager tm;

  public NarayanaWorkload(Path dir, int participants, int concurrency) throws SQLException {
    configure(dir.resolve("narayana-object-store"));
    this.tm = com.arjuna.ats.jta.TransactionManager.transactionManager();
    for (int i = 0; i < participants; i++) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      registries.add(registry);
      stores.add(KvStore.open(dir, "narayana-p" + (i + 1), registry));
    }
    this.threads = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "narayana-client");
      t.setDaemon(true);
      return t;
    });
  }

  private static synchronized void configure(Path objectStore) {
    if (configured) {
      return;
    }
    String dir = objectStore.toAbsolutePath().toString();
    for (String name : new String[] {null, "communicationStore", "stateStore"}) {
      ObjectStoreEnvironmentBean bean = name == null
          ? BeanPopulator.getDefaultInstance(ObjectStoreEnvironmentBean.class)
          : BeanPopulator.getNamedInstance(ObjectStoreEnvironmentBean.class, name);
      bean.setObjectStoreDir(dir);
      bean.setObjectStoreSync(true);
    }
    try {
      arjPropertyManager.getCoreEnvironmentBean().setNodeIdentifier("pledge-bench");
    } catch (Exception e) {
      throw new IllegalStateException("cannot configure Narayana: " + e.getMessage(), e);
    }
    configured = true;
  }

  /** The participants' stores as nodes of the client process, so that their syncs are reported. */
  @Override
  public List<Node> nodes() {
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < registries.size(); i++) {
      SimpleMeterRegistry registry = registries.get(i);
      nodes.add(new Node("narayana-p" + (i + 1), Role.PARTICIPANT, OptionalLong.of(ProcessHandle.current().pid()),
          Optional.of(() -> OptionalDouble.of(registry.find("pledge.log.syncs").counters().stream()
              .mapToDouble(Counter::count).sum()))));
    }
    return nodes;
  }

  @Override
  public Operation operation() {
    return (seq, slot) -> {
      Promise<Outcome> done = Promise.promise();
      threads.execute(() -> {
        try {
          done.complete(transfer("k" + slot));
        } catch (Exception e) {
          done.fail(e);
        }
      });
      return done.future();
    };
  }

  private Outcome transfer(String key) throws Exception {
    tm.begin();
    try {
      Transaction tx = tm.getTransaction();
      for (KvStore store : stores) {
        tx.enlistResource(new KvXaResource(store, key, 1));
      }
    } catch (Exception e) {
      tm.rollback();
      throw e;
    }
    try {
      tm.commit();
      return Outcome.COMMITTED;
    } catch (RollbackException e) {
      return Outcome.ABORTED;
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
    try {
      threads.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stores.forEach(KvStore::close);
  }
}
