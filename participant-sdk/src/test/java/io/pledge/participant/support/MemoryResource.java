package io.pledge.participant.support;

import io.pledge.participant.spi.ResourceManager;
import io.pledge.participant.spi.Vote;
import io.vertx.core.Future;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A resource manager that records every call; its vote per transaction is scripted. */
public final class MemoryResource implements ResourceManager {

  public enum Script { YES, NO, READ_ONLY, FAIL }

  public final List<String> calls = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<String, Script> scripts = new ConcurrentHashMap<>();
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, Future<?>> gates = new ConcurrentHashMap<>();

  private volatile boolean durable;
  private volatile Future<?> recoverGate = Future.succeededFuture();

  /**
   * Declares {@link #durablePrepare}: a yes keeps the branch "prepared" here ({@link #recover} lists it until its
   * commit or rollback), standing for an XA database's own prepared branch.
   */
  public MemoryResource durable() {
    durable = true;
    return this;
  }

  /** {@link #recover} answers only once {@code gate} completes (a database slow to list its branches at start). */
  public MemoryResource recoverGate(Future<?> gate) {
    recoverGate = gate;
    return this;
  }

  @Override
  public boolean durablePrepare() {
    return durable;
  }

  /** The vote for {@code txId} is only cast once {@code gate} completes. */
  public MemoryResource gate(String txId, Future<?> gate) {
    gates.put(txId, gate);
    return this;
  }

  public MemoryResource script(String txId, Script script) {
    scripts.put(txId, script);
    return this;
  }

  /** Makes {@link #recover} report {@code txId} as prepared in the resource. */
  public MemoryResource holdPrepared(String txId) {
    held.add(txId);
    return this;
  }

  @Override
  public Future<Vote> prepare(String txId) {
    calls.add("prepare " + txId);
    Future<?> gate = gates.getOrDefault(txId, Future.succeededFuture());
    return gate.transform(ignored -> vote(txId)).onSuccess(vote -> {
      if (durable && vote.kind() == Vote.Kind.YES) {
        held.add(txId);
      }
    });
  }

  private Future<Vote> vote(String txId) {
    return switch (scripts.getOrDefault(txId, Script.YES)) {
      case YES -> Future.succeededFuture(Vote.yes());
      case NO -> Future.succeededFuture(Vote.no("insufficient funds"));
      case READ_ONLY -> Future.succeededFuture(Vote.readOnly());
      case FAIL -> Future.failedFuture(new IllegalStateException("disk on fire"));
    };
  }

  private final Set<String> failCommit = ConcurrentHashMap.newKeySet();

  /** The next commits of {@code txId} fail (until {@link #healCommit}). */
  public MemoryResource failCommit(String txId) {
    failCommit.add(txId);
    return this;
  }

  public void healCommit(String txId) {
    failCommit.remove(txId);
  }

  private final Set<String> hangAfterCommit = ConcurrentHashMap.newKeySet();

  /** The next commit of {@code txId} applies, then never answers: the process "dies" right after it. */
  public MemoryResource hangAfterCommit(String txId) {
    hangAfterCommit.add(txId);
    return this;
  }

  @Override
  public Future<Void> commit(String txId) {
    calls.add("commit " + txId);
    if (failCommit.contains(txId)) {
      return Future.failedFuture(new IllegalStateException("commit failed for now"));
    }
    held.remove(txId);
    if (hangAfterCommit.remove(txId)) {
      return io.vertx.core.Promise.<Void>promise().future();
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> rollback(String txId) {
    calls.add("rollback " + txId);
    held.remove(txId);
    return Future.succeededFuture();
  }

  @Override
  public Future<Set<String>> recover() {
    return recoverGate.transform(ignored -> Future.succeededFuture(Set.copyOf(held)));
  }

  public long count(String call) {
    return calls.stream().filter(call::equals).count();
  }
}
