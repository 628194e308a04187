package io.pledge.bench.sut;

import io.pledge.common.grpc.Endpoint;
import java.util.ArrayList;
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
  private Endpoint coordinator;
  private Endpoint locks;
  private Endpoint echo;

  public SystemUnderTest coordinator(Launcher.Started s) {
    coordinator = add(s);
    return this;
  }

  public SystemUnderTest participant(Launcher.Started s) {
    participants.add(add(s));
    return this;
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
