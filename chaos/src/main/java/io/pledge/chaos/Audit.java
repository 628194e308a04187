package io.pledge.chaos;

import io.pledge.api.v1.GetOutcomeRequest;
import io.pledge.api.v1.ListLocksRequest;
import io.pledge.api.v1.ListTransactionsRequest;
import io.pledge.api.v1.LockHolderInfo;
import io.pledge.api.v1.LockServiceGrpcClient;
import io.pledge.api.v1.LockSummary;
import io.pledge.api.v1.Outcome;
import io.pledge.api.v1.TransactionCoordinatorGrpcClient;
import io.pledge.api.v1.TransactionState;
import io.pledge.common.grpc.GrpcTransport;
import io.pledge.common.grpc.Rpc;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.client.GrpcClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end-state audit, run once every fault is healed, without restarting anything: first the system must settle
 * within a bound (nothing unfinished at the coordinator; nothing in doubt, prepared, open or locked at either bank;
 * no unexpired lock at the lock service), then every acknowledged outcome is checked against the coordinator and
 * against the money: each account must equal its initial balance plus exactly the committed transfers that touched
 * it, so a lost leg, a half transfer or an applied abort shows up on the account it hit.
 *
 * <p>Blocking: runs on the test's thread.
 */
public final class Audit implements AutoCloseable {

  /** What the audit found; {@link #violations()} must be empty. */
  public record Report(List<String> violations, Duration settledIn, Map<Transfer.Told, Long> told,
      Map<Transfer.Told, Long> resolved, String lastState) {

    /** This report with {@code more} violations found outside the audit (first). */
    public Report with(List<String> more) {
      if (more.isEmpty()) {
        return this;
      }
      List<String> all = new ArrayList<>(more);
      all.addAll(violations);
      return new Report(List.copyOf(all), settledIn, told, resolved, lastState);
    }
  }

  private static final List<TransactionState> UNFINISHED = List.of(TransactionState.TRANSACTION_STATE_ACTIVE,
      TransactionState.TRANSACTION_STATE_PREPARING, TransactionState.TRANSACTION_STATE_PREPARED,
      TransactionState.TRANSACTION_STATE_COMMITTING, TransactionState.TRANSACTION_STATE_ROLLING_BACK);

  private final GrpcClient grpc;
  private final ChaosCluster cluster;
  private final ChaosSettings settings;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** @param vertx the run's Vert.x (the audit's calls block this thread on it, never an event loop) */
  public Audit(Vertx vertx, ChaosCluster cluster, ChaosSettings settings) {
    this.grpc = GrpcTransport.client(vertx, new HttpClientOptions());
    this.cluster = cluster;
    this.settings = settings;
  }

  public Report run(List<Transfer> history) throws Exception {
    List<String> violations = new ArrayList<>();
    long start = System.nanoTime();
    String state = "";
    long deadline = start + settings.settleTimeout().toNanos();
    while (true) {
      try {
        state = unsettled();
      } catch (Exception e) {
        state = "cannot observe: " + e.getMessage();
      }
      if (state.isEmpty() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(500);
    }
    Duration settledIn = Duration.ofNanos(System.nanoTime() - start);
    if (!state.isEmpty()) {
      violations.add("not settled after " + settings.settleTimeout().toSeconds() + " s: " + state);
    }

    Map<Transfer.Told, Long> told = new HashMap<>();
    Map<Transfer.Told, Long> resolved = new HashMap<>();
    Map<Integer, Long> expectedA = new HashMap<>();
    Map<Integer, Long> expectedB = new HashMap<>();
    for (Transfer t : history) {
      told.merge(t.told(), 1L, Long::sum);
      Outcome outcome = outcome(t.txId());
      boolean committed = outcome == Outcome.OUTCOME_COMMITTED;
      if (outcome != Outcome.OUTCOME_COMMITTED && outcome != Outcome.OUTCOME_ABORTED) {
        violations.add(t + ": the coordinator still answers " + outcome);
      } else if (t.told() == Transfer.Told.COMMITTED && !committed) {
        violations.add(t + ": the coordinator now says ABORTED");
      } else if (t.told() == Transfer.Told.ABORTED && committed) {
        violations.add(t + ": the coordinator now says COMMITTED");
      }
      resolved.merge(committed ? Transfer.Told.COMMITTED : Transfer.Told.ABORTED, 1L, Long::sum);
      if (committed) {
        expectedA.merge(t.accountA(), t.deltaA(), Long::sum);
        expectedB.merge(t.accountB(), t.deltaB(), Long::sum);
      }
    }
    long total = 0;
    for (String bank : List.of(ChaosCluster.BANK_A, ChaosCluster.BANK_B)) {
      Map<Integer, Long> expected = bank.equals(ChaosCluster.BANK_A) ? expectedA : expectedB;
      JsonObject balances = get(bank, "/accounts");
      for (int account = 0; account < settings.accounts(); account++) {
        long want = settings.initialBalance() + expected.getOrDefault(account, 0L);
        Long have = balances.getLong(String.valueOf(account));
        total += have == null ? 0 : have;
        if (have == null || have != want) {
          violations.add(bank + "/" + account + " holds " + have + ", committed transfers make it " + want
              + " (off by " + (have == null ? "?" : have - want) + ")" + suspects(history, bank, account,
                  have == null ? 0 : have - want));
        }
      }
    }
    long expectedTotal = 2L * settings.accounts() * settings.initialBalance();
    if (total != expectedTotal) {
      violations.add("total money " + total + ", expected " + expectedTotal);
    }
    return new Report(violations, settledIn, told, resolved, state);
  }

  /** Transfers on the account whose amount explains the difference (a lost or extra leg), to point at. */
  private static String suspects(List<Transfer> history, String bank, int account, long diff) {
    List<String> out = new ArrayList<>();
    for (Transfer t : history) {
      boolean onA = bank.equals(ChaosCluster.BANK_A) && t.accountA() == account;
      boolean onB = bank.equals(ChaosCluster.BANK_B) && t.accountB() == account;
      if ((onA || onB) && Math.abs(diff) == t.amount()) {
        out.add(t.toString());
      }
    }
    return out.isEmpty() ? "" : "; transfers of that amount there: " + out;
  }

  /** Empty when settled; else what is still unfinished, in doubt, prepared, open or locked. */
  private String unsettled() throws Exception {
    StringBuilder s = new StringBuilder();
    int unfinished = Rpc.call(grpc, cluster.coordinatorEndpoint().toSocketAddress(),
        TransactionCoordinatorGrpcClient.ListTransactions, ListTransactionsRequest.newBuilder()
            .addAllStates(UNFINISHED).setPageSize(1000).build(), Duration.ofSeconds(5))
        .map(r -> r.getTransactionsCount()).await(10, TimeUnit.SECONDS);
    if (unfinished > 0) {
      s.append("coordinator: ").append(unfinished).append(" unfinished; ");
    }
    for (String bank : List.of(ChaosCluster.BANK_A, ChaosCluster.BANK_B)) {
      JsonObject status = get(bank, "/status");
      for (String key : List.of("inDoubt", "xaPrepared", "openBranches", "lockedTransactions")) {
        Integer n = status.getInteger(key);
        if (n != null && n > 0) {
          s.append(bank).append(' ').append(key).append(' ').append(n).append("; ");
        }
      }
    }
    long now = System.currentTimeMillis();
    List<LockSummary> locks = Rpc.call(grpc, cluster.lockEndpoint().toSocketAddress(), LockServiceGrpcClient.List,
        ListLocksRequest.newBuilder().setPageSize(1000).build(), Duration.ofSeconds(5))
        .map(r -> r.getLocksList()).await(10, TimeUnit.SECONDS);
    for (LockSummary lock : locks) {
      for (LockHolderInfo holder : lock.getHoldersList()) {
        if (holder.getLeaseExpiresAtMs() > now) {
          s.append("lock ").append(lock.getLock()).append(" held by ").append(holder.getOwner()).append("; ");
        }
      }
    }
    return s.toString();
  }

  private Outcome outcome(String txId) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try {
        return Rpc.call(grpc, cluster.coordinatorEndpoint().toSocketAddress(),
            TransactionCoordinatorGrpcClient.GetOutcome, GetOutcomeRequest.newBuilder().setTxId(txId)
                .setParticipantId("chaos-audit").build(), Duration.ofSeconds(5))
            .map(r -> r.getOutcome()).await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        if (attempt >= 5) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private JsonObject get(String bank, String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + cluster.httpPort(bank) + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(bank + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  @Override
  public void close() {
    grpc.close();
  }
}
