package io.pledge.bench.sut;

import io.pledge.common.grpc.Endpoint;
import io.pledge.common.tls.TlsOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The servers one scenario runs against, and how to stop the ones the harness started. */
public final class SystemUnderTest implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SystemUnderTest.class);

  private final List<Node> nodes = new ArrayList<>(List.of(Node.client()));
  private final List<Endpoint> participants = new ArrayList<>();
  private final List<AutoCloseable> stops = new ArrayList<>();
  private final List<Endpoint> coordinatorCluster = new ArrayList<>();
  private final List<Probe> probes = new ArrayList<>();
  private final Map<String, Integer> participantOps = new HashMap<>();
  private Endpoint coordinator;
  private Endpoint locks;
  private Endpoint echo;
  private CoordinatorCluster cluster;
  private TlsOptions clientTls;

  /** A coordinator cluster: the client is given every member; {@link #coordinator()} names the first. */
  public SystemUnderTest coordinatorCluster(CoordinatorCluster c) {
    cluster = c;
    coordinatorCluster.addAll(c.endpoints());
    coordinator = coordinatorCluster.get(0);
    nodes.addAll(c.nodes());
    stops.add(c);
    return this;
  }

  /** The clients' TLS (mutual: their certificate is their identity); plaintext when never set. */
  public SystemUnderTest clientTls(TlsOptions tls) {
    clientTls = tls;
    return this;
  }

  /** A counter of the scenario's own, read around the window. */
  public SystemUnderTest probe(Probe probe) {
    probes.add(probe);
    return this;
  }

  public SystemUnderTest coordinator(Launcher.Started s) {
    coordinator = add(s);
    return this;
  }

  public SystemUnderTest participant(Launcher.Started s) {
    participants.add(add(s));
    if (s.opsPort() > 0) {
      participantOps.put(s.node().name(), s.opsPort());
    }
    return this;
  }

  /** A counter of participant {@code name}'s {@code /metrics}, summed over its series. */
  public Node.SyncCounter participantMetric(String name, String metric) {
    Integer port = participantOps.get(name);
    if (port == null) {
      return OptionalDouble::empty;
    }
    return PromMetrics.scraping(URI.create("http://127.0.0.1:" + port + "/metrics"), metric);
  }

  /**
   * Calls the participants served (Prepare, Complete, phase-2 Commit and Rollback) and made (Enlist), all together:
   * their {@code pledge_participant_rpc_calls_total}. Empty when a participant has no ops endpoint.
   */
  public Probe participantCalls() {
    List<Node.SyncCounter> each = participantOps.keySet().stream()
        .map(name -> participantMetric(name, "pledge_participant_rpc_calls_total")).toList();
    return new Probe("calls: participants (served, and Enlist)", () -> {
      double sum = 0;
      for (Node.SyncCounter c : each) {
        OptionalDouble v = c.read();
        if (v.isEmpty()) {
          return OptionalDouble.empty();
        }
        sum += v.getAsDouble();
      }
      return each.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(sum);
    });
  }

  public SystemUnderTest locks(Launcher.Started s) {
    locks = add(s);
    return this;
  }

  public SystemUnderTest echo(Launcher.Started s) {
    echo = add(s);
    return this;
  }

  /** A node the harness did not start (external). */
  public SystemUnderTest measure(Node node) {
    nodes.add(node);
    return this;
  }

  public SystemUnderTest coordinator(Endpoint e) {
    coordinator = e;
    return this;
  }

  public SystemUnderTest participant(Endpoint e) {
    participants.add(e);
    return this;
  }

  public SystemUnderTest locks(Endpoint e) {
    locks = e;
    return this;
  }

  /** Stopped with the system (after the servers, in reverse order of registration). */
  public SystemUnderTest onClose(AutoCloseable stop) {
    stops.add(stop);
    return this;
  }

  private Endpoint add(Launcher.Started s) {
    nodes.add(s.node());
    stops.add(s.stop());
    return s.endpoint();
  }

  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  public Optional<Endpoint> coordinator() {
    return Optional.ofNullable(coordinator);
  }

  /** Every coordinator endpoint: the cluster's members, or the one coordinator. */
  public List<Endpoint> coordinators() {
    return !coordinatorCluster.isEmpty() ? List.copyOf(coordinatorCluster)
        : coordinator().map(List::of).orElse(List.of());
  }

  public Optional<CoordinatorCluster> cluster() {
    return Optional.ofNullable(cluster);
  }

  public Optional<TlsOptions> clientTls() {
    return Optional.ofNullable(clientTls);
  }

  public List<Probe> probes() {
    return List.copyOf(probes);
  }

  public List<Endpoint> participants() {
    return List.copyOf(participants);
  }

  public Optional<Endpoint> locks() {
    return Optional.ofNullable(locks);
  }

  public Optional<Endpoint> echo() {
    return Optional.ofNullable(echo);
  }

  /** Stops in reverse order of start: participants before the coordinator, the lock service last. */
  @Override
  public void close() {
    for (int i = stops.size() - 1; i >= 0; i--) {
      try {
        stops.get(i).close();
      } catch (Exception e) {
        LOG.warn("stopping a bench server: {}", e.toString());
      }
    }
    stops.clear();
  }
}
