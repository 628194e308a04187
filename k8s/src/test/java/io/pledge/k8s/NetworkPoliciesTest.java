package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NetworkPolicies evaluated as a network plugin would for the pods of the manifests: default deny, then a
 * connection from pod A to port P of pod B is allowed only if a policy selecting B allows it in (from A, to P) and
 * a policy selecting A allows it out (to B, to P). The result must be exactly the table of who may call whom.
 */
class NetworkPoliciesTest {

  /** Prometheus as the policies expect it: its namespace's and its pods' labels. */
  private static final Map<String, String> PROMETHEUS_NAMESPACE = Map.of("kubernetes.io/metadata.name", "monitoring");
  private static final Map<String, String> PROMETHEUS_POD = Map.of("app.kubernetes.io/name", "prometheus");
  private static final Map<String, String> DNS_NAMESPACE = Map.of("kubernetes.io/metadata.name", "kube-system");
  private static final Map<String, String> DNS_POD = Map.of("k8s-app", "kube-dns");

  /**
   * Who may call whom inside the namespace, by the image a pod runs and the name of the port called: issue 14's
   * list. Everything not here must be refused.
   */
  private static final Set<String> ALLOWED = Set.of(
      "coordinator -> coordinator:raft",
      "coordinator -> lock-service:grpc",
      "coordinator -> bank:participant",
      "bank -> coordinator:grpc",
      "bank -> lock-service:grpc",
      "bank -> bank:http",
      "lock-service -> lock-service:hazelcast");

  /** A pod of the manifests: its workload, role (from its image), labels and ports. */
  private record Pod(String workload, String role, Map<String, String> labels, List<ContainerPort> ports) {}

  private static List<Manifests.Doc> docs;
  private static List<NetworkPolicy> policies;
  private static List<Pod> pods;

  @BeforeAll
  static void load() {
    docs = Manifests.load();
    policies = all(NetworkPolicy.class);
    Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
    all(StatefulSet.class).forEach(s -> templates.put("StatefulSet " + s.getMetadata().getName(), s.getSpec().getTemplate()));
    all(Deployment.class).forEach(d -> templates.put("Deployment " + d.getMetadata().getName(), d.getSpec().getTemplate()));
    pods = new ArrayList<>();
    templates.forEach((name, t) -> {
      Container c = t.getSpec().getContainers().get(0);
      String image = c.getImage().replaceFirst(":[^:/]+$", "");
      String role = switch (image) {
        case "pledge/coordinator" -> "coordinator";
        case "pledge/lock-service" -> "lock-service";
        case "pledge/examples/bank-transfer" -> "bank";
        default -> throw new AssertionError(name + ": unknown image " + image);
      };
      List<ContainerPort> ports = t.getSpec().getContainers().stream().flatMap(x -> x.getPorts().stream()).toList();
      pods.add(new Pod(name, role, t.getMetadata().getLabels(), ports));
    });
  }

  private static <T> List<T> all(Class<T> kind) {
    return docs.stream().map(Manifests.Doc::resource).filter(kind::isInstance).map(kind::cast).toList();
  }

  /** matchLabels only: the manifests use no matchExpressions, and this evaluator refuses them rather than guess. */
  private static boolean matches(LabelSelector selector, Map<String, String> labels) {
    assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(),
        "matchExpressions are not evaluated here: " + selector);
    Map<String, String> wanted = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    return labels.entrySet().containsAll(wanted.entrySet());
  }

  /** A peer that is a pod of this namespace (podSelector alone) matching {@code pod}. */
  private static boolean peerIsPod(NetworkPolicyPeer peer, Pod pod) {
    return peer.getIpBlock() == null && peer.getNamespaceSelector() == null && peer.getPodSelector() != null
        && matches(peer.getPodSelector(), pod.labels());
  }

  /** A peer that is a pod of another namespace with these labels. */
  private static boolean peerIsForeign(NetworkPolicyPeer peer, Map<String, String> namespace, Map<String, String> pod) {
    return peer.getIpBlock() == null && peer.getNamespaceSelector() != null
        && matches(peer.getNamespaceSelector(), namespace)
        && (peer.getPodSelector() == null || matches(peer.getPodSelector(), pod));
  }

  /** Whether a rule's ports include container port {@code port} of {@code target} (none listed: every port). */
  private static boolean portMatches(List<NetworkPolicyPort> ports, ContainerPort port) {
    if (ports == null || ports.isEmpty()) {
      return true;
    }
    for (NetworkPolicyPort p : ports) {
      String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
      IntOrString n = p.getPort();
      boolean samePort = n == null || (n.getStrVal() != null ? n.getStrVal().equals(port.getName())
          : n.getIntVal().equals(port.getContainerPort()));
      if (protocol.equals(port.getProtocol() == null ? "TCP" : port.getProtocol()) && samePort) {
        return true;
      }
    }
    return false;
  }

  private static boolean ingressAllows(Pod target, ContainerPort port, Predicate<NetworkPolicyPeer> from) {
    return policies.stream().filter(p -> p.getSpec().getPolicyTypes().contains("Ingress"))
        .filter(p -> matches(p.getSpec().getPodSelector(), target.labels()))
        .flatMap(p -> p.getSpec().getIngress() == null ? java.util.stream.Stream.empty() : p.getSpec().getIngress().stream())
        .anyMatch(rule -> portMatches(rule.getPorts(), port) && rule.getFrom() != null
            && rule.getFrom().stream().anyMatch(from));
  }

  private static boolean egressAllows(Pod source, Predicate<NetworkPolicyPeer> to, Predicate<List<NetworkPolicyPort>> ports) {
    return policies.stream().filter(p -> p.getSpec().getPolicyTypes().contains("Egress"))
        .filter(p -> matches(p.getSpec().getPodSelector(), source.labels()))
        .flatMap(p -> p.getSpec().getEgress() == null ? java.util.stream.Stream.empty() : p.getSpec().getEgress().stream())
        .anyMatch(rule -> ports.test(rule.getPorts())
            && (rule.getTo() == null || rule.getTo().isEmpty() || rule.getTo().stream().anyMatch(to)));
  }

  private static boolean allowed(Pod from, Pod to, ContainerPort port) {
    return ingressAllows(to, port, peer -> peerIsPod(peer, from))
        && egressAllows(from, peer -> peerIsPod(peer, to), ports -> portMatches(ports, port));
  }

  @Test
  void everythingIsDeniedUnlessAllowed() {
    List<NetworkPolicy> denyAll = policies.stream()
        .filter(p -> p.getSpec().getPodSelector().getMatchLabels() == null || p.getSpec().getPodSelector().getMatchLabels().isEmpty())
        .filter(p -> p.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress")))
        .filter(p -> (p.getSpec().getIngress() == null || p.getSpec().getIngress().isEmpty())
            && (p.getSpec().getEgress() == null || p.getSpec().getEgress().isEmpty()))
        .toList();
    assertEquals(1, denyAll.size(), "one default-deny policy selecting every pod, both directions");
    for (NetworkPolicy p : policies) {
      var ingress = p.getSpec().getIngress() == null ? List.<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule>of()
          : p.getSpec().getIngress();
      ingress.forEach(rule -> {
        assertTrue(rule.getFrom() != null && !rule.getFrom().isEmpty(),
            "NetworkPolicy " + p.getMetadata().getName() + ": an ingress rule without 'from' lets anyone in");
        assertTrue(rule.getPorts() != null && !rule.getPorts().isEmpty(),
            "NetworkPolicy " + p.getMetadata().getName() + ": an ingress rule without ports opens every port");
        rule.getFrom().forEach(peer -> assertNull(peer.getIpBlock(),
            "NetworkPolicy " + p.getMetadata().getName() + ": no ipBlock peers (a pod's address is not its identity)"));
      });
    }
  }

  /** The full matrix: every pod, to every port of every pod, against the table. */
  @Test
  void podsReachExactlyThePortsTheTableAllows() {
    Set<String> found = new TreeSet<>();
    List<String> wrong = new ArrayList<>();
    for (Pod from : pods) {
      for (Pod to : pods) {
        for (ContainerPort port : to.ports()) {
          String edge = from.role() + " -> " + to.role() + ":" + port.getName();
          boolean isAllowed = allowed(from, to, port);
          if (isAllowed) {
            found.add(edge);
          }
          if (isAllowed != ALLOWED.contains(edge)) {
            wrong.add(from.workload() + " -> " + to.workload() + ":" + port.getName() + (isAllowed ? " allowed" : " refused"));
          }
        }
      }
    }
    assertEquals(List.of(), wrong, "connections that disagree with the table");
    assertEquals(ALLOWED, found, "every allowed edge is used by some pair of pods");
  }

  /** Every port a Service names leads to a port some policy lets someone reach: no Service is a dead end. */
  @Test
  void everyServicePortIsCoveredByAPolicy() {
    for (Service svc : all(Service.class)) {
      List<Pod> selected = pods.stream().filter(p -> p.labels().entrySet().containsAll(svc.getSpec().getSelector().entrySet()))
          .toList();
      assertFalse(selected.isEmpty(), "Service " + svc.getMetadata().getName() + " selects no pod");
      for (Pod pod : selected) {
        for (ServicePort sp : svc.getSpec().getPorts()) {
          IntOrString target = sp.getTargetPort();
          ContainerPort port = pod.ports().stream().filter(p -> target.getStrVal() != null
              ? target.getStrVal().equals(p.getName()) : target.getIntVal().equals(p.getContainerPort())).findFirst()
              .orElseThrow();
          boolean reachable = pods.stream().anyMatch(from -> allowed(from, pod, port))
              || ingressAllows(pod, port, peer -> peerIsForeign(peer, PROMETHEUS_NAMESPACE, PROMETHEUS_POD));
          assertTrue(reachable, "Service " + svc.getMetadata().getName() + " port " + sp.getName() + ": no policy lets"
              + " anyone reach " + pod.workload() + ":" + port.getName());
        }
      }
    }
  }

  /** Prometheus reaches each pod's metrics port and nothing else. */
  @Test
  void prometheusReachesTheMetricsPortsOnly() {
    for (Pod pod : pods) {
      PodTemplateSpec template = docs.stream().map(Manifests.Doc::resource)
          .map(r -> r instanceof StatefulSet s ? s.getSpec().getTemplate() : r instanceof Deployment d ? d.getSpec().getTemplate() : null)
          .filter(t -> t != null && t.getMetadata().getLabels().equals(pod.labels())).findFirst().orElseThrow();
      int metrics = Integer.parseInt(template.getMetadata().getAnnotations().get("prometheus.io/port"));
      for (ContainerPort port : pod.ports()) {
        boolean reachable = ingressAllows(pod, port, peer -> peerIsForeign(peer, PROMETHEUS_NAMESPACE, PROMETHEUS_POD));
        assertEquals(port.getContainerPort() == metrics, reachable,
            pod.workload() + ":" + port.getName() + (reachable ? " must not be open to Prometheus" : ": Prometheus cannot scrape it"));
      }
    }
  }

  /** Every pod may ask the cluster DNS (Services and the members' pod names); only lock members reach the API. */
  @Test
  void everyPodResolvesNamesAndOnlyLockMembersReachTheKubernetesApi() {
    ContainerPort dns = new ContainerPort(53, null, null, "dns", "UDP");
    ContainerPort api = new ContainerPort(443, null, null, "https", "TCP");
    for (Pod pod : pods) {
      assertTrue(egressAllows(pod, peer -> peerIsForeign(peer, DNS_NAMESPACE, DNS_POD), ports -> portMatches(ports, dns)),
          pod.workload() + ": cannot resolve names");
      boolean apiAllowed = policies.stream().filter(p -> p.getSpec().getPolicyTypes().contains("Egress"))
          .filter(p -> matches(p.getSpec().getPodSelector(), pod.labels()))
          .flatMap(p -> p.getSpec().getEgress() == null ? java.util.stream.Stream.empty() : p.getSpec().getEgress().stream())
          .anyMatch(rule -> (rule.getTo() == null || rule.getTo().isEmpty()) && portMatches(rule.getPorts(), api));
      assertEquals(pod.role().equals("lock-service"), apiAllowed,
          pod.workload() + ": reaching the Kubernetes API (member discovery) is for the lock members only");
    }
  }
}
