package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest of k8s/ against the Kubernetes API model (kinds, field names, types), and the manifests against
 * each other: selectors, ports, probes, references to ConfigMaps, Secrets and ServiceAccounts, the kustomization.
 */
class ManifestsTest {

  /** metadata.name of most kinds: an RFC 1123 subdomain. */
  private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  /** A container port name: at most 15 characters, lower-case letters, digits and '-', at least one letter. */
  private static final Pattern IANA_SVC_NAME = Pattern.compile("(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private static List<Manifests.Doc> docs;

  @BeforeAll
  static void load() {
    docs = Manifests.load();
  }

  private static <T extends HasMetadata> List<T> all(Class<T> kind) {
    return docs.stream().map(Manifests.Doc::resource).filter(kind::isInstance).map(kind::cast).toList();
  }

  /** The pod templates of every workload, by workload name. */
  private static Map<String, PodTemplateSpec> podTemplates() {
    Map<String, PodTemplateSpec> templates = new java.util.LinkedHashMap<>();
    all(StatefulSet.class).forEach(s -> templates.put("StatefulSet " + s.getMetadata().getName(), s.getSpec().getTemplate()));
    all(Deployment.class).forEach(d -> templates.put("Deployment " + d.getMetadata().getName(), d.getSpec().getTemplate()));
    return templates;
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null && !selector.isEmpty() && labels != null && labels.entrySet().containsAll(selector.entrySet());
  }

  private static List<PodTemplateSpec> selected(Map<String, String> selector) {
    return podTemplates().values().stream().filter(t -> selects(selector, t.getMetadata().getLabels())).toList();
  }

  private static List<ContainerPort> ports(PodTemplateSpec template) {
    return template.getSpec().getContainers().stream()
        .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.empty() : c.getPorts().stream()).toList();
  }

  private static boolean portExists(Container container, IntOrString port) {
    List<ContainerPort> ports = container.getPorts() == null ? List.of() : container.getPorts();
    return port.getStrVal() != null
        ? ports.stream().anyMatch(p -> port.getStrVal().equals(p.getName()))
        : ports.stream().anyMatch(p -> Objects.equals(port.getIntVal(), p.getContainerPort()));
  }

  @Test
  void everyDocumentIsAKnownKindWithKnownFields() {
    assertFalse(docs.isEmpty(), "no manifests found in " + Manifests.DIR);
    Set<String> kinds = docs.stream().map(d -> d.resource().getKind()).collect(Collectors.toCollection(TreeSet::new));
    assertTrue(kinds.containsAll(List.of("Namespace", "ConfigMap", "StatefulSet", "Service", "ServiceAccount", "Role",
        "RoleBinding", "PodDisruptionBudget", "ServiceMonitor", "NetworkPolicy", "Certificate", "Issuer")),
        "kinds present: " + kinds);
    for (Manifests.Doc doc : docs) {
      HasMetadata r = doc.resource();
      assertNotNull(r.getMetadata(), doc.file() + ": no metadata");
      assertTrue(DNS_SUBDOMAIN.matcher(r.getMetadata().getName()).matches() && r.getMetadata().getName().length() <= 63,
          doc.describe() + ": not a valid name");
      assertEquals(HasMetadata.getApiVersion(r.getClass()), r.getApiVersion(), doc.describe() + ": apiVersion");
      String ns = r.getMetadata().getNamespace();
      assertTrue(ns == null || ns.equals("pledge"), doc.describe() + ": namespace " + ns + " (the kustomization sets it)");
    }
  }

  @Test
  void theModelCheckRejectsAMisspeltFieldAndKind() {
    // The check itself must bite: the same StatefulSet with one field misspelt, then with a kind that does not exist.
    Manifests.Doc sts = docs.stream().filter(d -> d.resource() instanceof StatefulSet).findFirst().orElseThrow();
    ObjectNode typo = sts.tree().deepCopy();
    ((ObjectNode) typo.path("spec").path("template").path("spec").path("containers").get(0))
        .set("readinessProbes", typo.path("spec").path("template").path("spec").path("containers").get(0)
            .path("readinessProbe"));
    AssertionError unknownField = assertThrows(AssertionError.class, () -> Manifests.bind(sts.file(), typo));
    assertTrue(unknownField.getMessage().contains("readinessProbes"), unknownField.getMessage());

    ObjectNode badKind = sts.tree().deepCopy();
    badKind.put("kind", "StatefullSet");
    assertThrows(AssertionError.class, () -> Manifests.bind(sts.file(), badKind));

    ObjectNode badType = sts.tree().deepCopy();
    ((ObjectNode) badType.path("spec")).put("replicas", "three");
    assertThrows(AssertionError.class, () -> Manifests.bind(sts.file(), badType));
  }

  @Test
  void namesAreUniquePerKind() {
    Set<String> seen = new HashSet<>();
    for (Manifests.Doc doc : docs) {
      assertTrue(seen.add(doc.resource().getKind() + "/" + doc.resource().getMetadata().getName()),
          "declared twice: " + doc.describe());
    }
  }

  @Test
  void kustomizationListsEveryManifestAndNothingElse() {
    JsonNode k = Manifests.kustomization();
    assertEquals("kustomize.config.k8s.io/v1beta1", k.path("apiVersion").asText());
    assertEquals("Kustomization", k.path("kind").asText());
    assertEquals("pledge", k.path("namespace").asText());
    Set<String> known = Set.of("apiVersion", "kind", "namespace", "resources", "configMapGenerator", "images");
    k.fieldNames().forEachRemaining(f -> assertTrue(known.contains(f), "kustomization: unexpected field " + f));

    List<String> resources = texts(k.path("resources"));
    assertEquals(new HashSet<>(resources).size(), resources.size(), "a resource is listed twice: " + resources);
    Set<String> generated = new TreeSet<>();
    k.path("configMapGenerator").forEach(g -> generated.addAll(texts(g.path("files"))));
    Set<String> expectedResources = Manifests.deploymentFiles().stream().filter(Manifests::isYaml).map(Path::toString)
        .filter(f -> !f.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(expectedResources, new TreeSet<>(resources), "resources: must list every manifest file of k8s/");
    Set<String> everything = new TreeSet<>(resources);
    everything.addAll(generated);
    everything.add("kustomization.yaml");
    Set<String> files = Manifests.deploymentFiles().stream().map(Path::toString)
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(files, everything, "every file of k8s/ must be a resource or a generator input, and exist");

    Namespace ns = all(Namespace.class).stream().findFirst().orElseThrow(() -> new AssertionError("no Namespace"));
    assertEquals(k.path("namespace").asText(), ns.getMetadata().getName());
  }

  @Test
  void imagesAreTheOnesTheRepositoryBuilds() throws IOException {
    Set<String> kustomized = new TreeSet<>();
    Manifests.kustomization().path("images").forEach(i -> kustomized.add(i.path("name").asText()));
    for (Map.Entry<String, PodTemplateSpec> w : podTemplates().entrySet()) {
      for (Container c : w.getValue().getSpec().getContainers()) {
        String repo = c.getImage().replaceFirst(":[^:/]+$", "");
        assertTrue(kustomized.contains(repo), w.getKey() + ": image " + repo + " not in the kustomization's images");
        // pledge/<module> is built from <module>/Dockerfile; what it EXPOSEs is what the container declares.
        Path dockerfile = Manifests.ROOT.resolve(repo.substring(repo.indexOf('/') + 1)).resolve("Dockerfile");
        assertTrue(Files.isRegularFile(dockerfile), w.getKey() + ": no " + dockerfile + " builds " + repo);
        Set<Integer> exposed = new TreeSet<>();
        for (String line : Files.readAllLines(dockerfile)) {
          if (line.startsWith("EXPOSE ")) {
            for (String p : line.substring(7).trim().split("\\s+")) {
              exposed.add(Integer.parseInt(p.replace("/tcp", "")));
            }
          }
        }
        assertEquals(exposed, c.getPorts().stream().map(ContainerPort::getContainerPort)
            .collect(Collectors.toCollection(TreeSet::new)), w.getKey() + ": ports vs EXPOSE of " + dockerfile);
      }
    }
  }

  @Test
  void workloadSelectorsMatchTheirPodsAndTheirGoverningService() {
    for (StatefulSet s : all(StatefulSet.class)) {
      String name = "StatefulSet " + s.getMetadata().getName();
      assertTrue(selects(s.getSpec().getSelector().getMatchLabels(), s.getSpec().getTemplate().getMetadata().getLabels()),
          name + ": selector does not match its pod template");
      Service governing = all(Service.class).stream()
          .filter(svc -> svc.getMetadata().getName().equals(s.getSpec().getServiceName())).findFirst()
          .orElseThrow(() -> new AssertionError(name + ": serviceName " + s.getSpec().getServiceName() + " is not a Service"));
      assertEquals("None", governing.getSpec().getClusterIP(), name + ": its governing Service must be headless");
      assertTrue(selects(governing.getSpec().getSelector(), s.getSpec().getTemplate().getMetadata().getLabels()),
          name + ": its governing Service does not select its pods");
    }
    for (Deployment d : all(Deployment.class)) {
      assertTrue(selects(d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate().getMetadata().getLabels()),
          "Deployment " + d.getMetadata().getName() + ": selector does not match its pod template");
    }
  }

  @Test
  void everyServiceSelectsPodsThatHaveItsTargetPorts() {
    for (Service svc : all(Service.class)) {
      String name = "Service " + svc.getMetadata().getName();
      List<PodTemplateSpec> pods = selected(svc.getSpec().getSelector());
      assertEquals(1, pods.size(), name + ": selector " + svc.getSpec().getSelector() + " must select one workload");
      for (ServicePort port : svc.getSpec().getPorts()) {
        IntOrString target = port.getTargetPort() == null ? new IntOrString(port.getPort()) : port.getTargetPort();
        assertTrue(pods.get(0).getSpec().getContainers().stream().anyMatch(c -> portExists(c, target)),
            name + ": targetPort " + (target.getStrVal() != null ? target.getStrVal() : target.getIntVal())
                + " is not a container port");
      }
    }
  }

  @Test
  void probesAndScrapeAnnotationsUseDeclaredPorts() {
    for (Map.Entry<String, PodTemplateSpec> w : podTemplates().entrySet()) {
      for (Container c : w.getValue().getSpec().getContainers()) {
        for (ContainerPort p : c.getPorts()) {
          assertTrue(p.getName() != null && p.getName().length() <= 15 && IANA_SVC_NAME.matcher(p.getName()).matches(),
              w.getKey() + ": port name " + p.getName() + " is not a valid IANA service name");
        }
        assertNotNull(c.getReadinessProbe(), w.getKey() + ": no readiness probe");
        assertNotNull(c.getLivenessProbe(), w.getKey() + ": no liveness probe");
        assertEquals("/health/ready", c.getReadinessProbe().getHttpGet().getPath(), w.getKey() + ": readiness");
        assertEquals("/health/live", c.getLivenessProbe().getHttpGet().getPath(), w.getKey() + ": liveness");
        for (Probe probe : new Probe[] {c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe()}) {
          if (probe != null && probe.getHttpGet() != null) {
            assertTrue(portExists(c, probe.getHttpGet().getPort()), w.getKey() + ": probe port "
                + probe.getHttpGet().getPort() + " is not a port of " + c.getName());
          }
          if (probe != null && probe.getTcpSocket() != null) {
            assertTrue(portExists(c, probe.getTcpSocket().getPort()), w.getKey() + ": probe port of " + c.getName());
          }
        }
        assertNotNull(c.getResources().getRequests(), w.getKey() + ": no resource requests");
        assertNotNull(c.getResources().getLimits(), w.getKey() + ": no resource limits");
      }
      Map<String, String> annotations = w.getValue().getMetadata().getAnnotations();
      assertEquals("true", annotations.get("prometheus.io/scrape"), w.getKey() + ": prometheus.io/scrape");
      assertEquals("/metrics", annotations.get("prometheus.io/path"), w.getKey() + ": prometheus.io/path");
      int scrapePort = Integer.parseInt(annotations.get("prometheus.io/port"));
      assertTrue(ports(w.getValue()).stream().anyMatch(p -> p.getContainerPort() == scrapePort),
          w.getKey() + ": prometheus.io/port " + scrapePort + " is not a container port");
    }
  }

  @Test
  void referencedConfigMapsSecretsAndServiceAccountsExist() {
    Set<String> configMaps = all(ConfigMap.class).stream().map(m -> m.getMetadata().getName())
        .collect(Collectors.toCollection(TreeSet::new));
    Manifests.kustomization().path("configMapGenerator").forEach(g -> configMaps.add(g.path("name").asText()));
    // A Secret is declared, or kept by a cert-manager Certificate (which writes it).
    Set<String> secrets = all(Secret.class).stream().map(s -> s.getMetadata().getName())
        .collect(Collectors.toCollection(HashSet::new));
    all(Certificate.class).forEach(c -> secrets.add(c.getSpec().getSecretName()));
    Set<String> accounts = all(ServiceAccount.class).stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet());
    for (Map.Entry<String, PodTemplateSpec> w : podTemplates().entrySet()) {
      var spec = w.getValue().getSpec();
      if (spec.getServiceAccountName() != null) {
        assertTrue(accounts.contains(spec.getServiceAccountName()), w.getKey() + ": no ServiceAccount "
            + spec.getServiceAccountName());
      }
      Set<String> volumes = spec.getVolumes() == null ? new HashSet<>()
          : spec.getVolumes().stream().map(Volume::getName).collect(Collectors.toCollection(HashSet::new));
      if (w.getKey().startsWith("StatefulSet ")) {
        all(StatefulSet.class).stream().filter(s -> w.getKey().equals("StatefulSet " + s.getMetadata().getName()))
            .flatMap(s -> s.getSpec().getVolumeClaimTemplates().stream()).forEach(v -> volumes.add(v.getMetadata().getName()));
      }
      for (Volume v : spec.getVolumes() == null ? List.<Volume>of() : spec.getVolumes()) {
        if (v.getConfigMap() != null) {
          assertTrue(configMaps.contains(v.getConfigMap().getName()), w.getKey() + ": no ConfigMap " + v.getConfigMap().getName());
          ConfigMap map = all(ConfigMap.class).stream()
              .filter(m -> m.getMetadata().getName().equals(v.getConfigMap().getName())).findFirst().orElse(null);
          if (map != null && v.getConfigMap().getItems() != null) {
            v.getConfigMap().getItems().forEach(item -> assertTrue(map.getData().containsKey(item.getKey()),
                w.getKey() + ": ConfigMap " + map.getMetadata().getName() + " has no key " + item.getKey()));
          }
        }
        if (v.getSecret() != null) {
          assertTrue(secrets.contains(v.getSecret().getSecretName()), w.getKey() + ": no Secret " + v.getSecret().getSecretName());
        }
      }
      for (Container c : spec.getContainers()) {
        c.getVolumeMounts().forEach(m -> assertTrue(volumes.contains(m.getName()),
            w.getKey() + ": volumeMount " + m.getName() + " is not a volume"));
        if (c.getEnvFrom() != null) {
          c.getEnvFrom().forEach(e -> {
            if (e.getConfigMapRef() != null) {
              assertTrue(configMaps.contains(e.getConfigMapRef().getName()), w.getKey() + ": envFrom ConfigMap");
            }
            if (e.getSecretRef() != null) {
              assertTrue(secrets.contains(e.getSecretRef().getName()), w.getKey() + ": envFrom Secret");
            }
          });
        }
        if (c.getEnv() != null) {
          c.getEnv().stream().filter(e -> e.getValueFrom() != null).forEach(e -> {
            if (e.getValueFrom().getConfigMapKeyRef() != null) {
              assertTrue(configMaps.contains(e.getValueFrom().getConfigMapKeyRef().getName()), w.getKey() + ": " + e.getName());
            }
            if (e.getValueFrom().getSecretKeyRef() != null) {
              assertTrue(secrets.contains(e.getValueFrom().getSecretKeyRef().getName()), w.getKey() + ": " + e.getName());
            }
          });
        }
      }
    }
  }

  @Test
  void roleBindingsBindExistingRolesToExistingAccounts() {
    Set<String> accounts = all(ServiceAccount.class).stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet());
    for (RoleBinding b : all(RoleBinding.class)) {
      String name = "RoleBinding " + b.getMetadata().getName();
      boolean roleExists = b.getRoleRef().getKind().equals("Role")
          ? all(Role.class).stream().anyMatch(r -> r.getMetadata().getName().equals(b.getRoleRef().getName()))
          : all(ClusterRole.class).stream().anyMatch(r -> r.getMetadata().getName().equals(b.getRoleRef().getName()));
      assertTrue(roleExists, name + ": no " + b.getRoleRef().getKind() + " " + b.getRoleRef().getName());
      for (Subject s : b.getSubjects()) {
        if (s.getKind().equals("ServiceAccount")) {
          assertTrue(accounts.contains(s.getName()), name + ": no ServiceAccount " + s.getName());
        }
      }
    }
  }

  @Test
  void theLockServiceAccountMayReadWhatHazelcastDiscoveryReads() {
    StatefulSet locks = all(StatefulSet.class).stream()
        .filter(s -> s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage().contains("lock-service"))
        .findFirst().orElseThrow();
    String account = locks.getSpec().getTemplate().getSpec().getServiceAccountName();
    assertNotNull(account, "the lock service needs its own ServiceAccount for the Kubernetes API");
    List<PolicyRule> rules = new ArrayList<>();
    for (RoleBinding b : all(RoleBinding.class)) {
      if (b.getSubjects().stream().anyMatch(s -> s.getKind().equals("ServiceAccount") && s.getName().equals(account))) {
        all(Role.class).stream().filter(r -> r.getMetadata().getName().equals(b.getRoleRef().getName()))
            .forEach(r -> rules.addAll(r.getRules()));
      }
    }
    // Service-name discovery lists the Service's EndpointSlices (Endpoints on clusters without them) and reads pods.
    for (String[] need : new String[][] {{"discovery.k8s.io", "endpointslices"}, {"", "endpoints"}, {"", "pods"}}) {
      for (String verb : List.of("get", "list")) {
        assertTrue(rules.stream().anyMatch(r -> r.getApiGroups().contains(need[0]) && r.getResources().contains(need[1])
            && r.getVerbs().contains(verb)), account + " may not " + verb + " " + need[1]);
      }
    }
  }

  @Test
  void disruptionBudgetsSelectAWorkloadAndLeaveRoomToDrain() {
    for (PodDisruptionBudget pdb : all(PodDisruptionBudget.class)) {
      String name = "PodDisruptionBudget " + pdb.getMetadata().getName();
      List<StatefulSet> matched = all(StatefulSet.class).stream()
          .filter(s -> selects(pdb.getSpec().getSelector().getMatchLabels(), s.getSpec().getTemplate().getMetadata().getLabels()))
          .toList();
      assertEquals(1, matched.size(), name + ": must select one workload");
      int replicas = matched.get(0).getSpec().getReplicas();
      // Both StatefulSets are majority systems (the coordinator's Raft group, the lock members' quorum): a drain
      // may take one pod, never the majority.
      int available = pdb.getSpec().getMinAvailable() != null ? pdb.getSpec().getMinAvailable().getIntVal()
          : replicas - pdb.getSpec().getMaxUnavailable().getIntVal();
      assertTrue(available < replicas, name + ": blocks every eviction");
      assertTrue(available >= replicas / 2 + 1, name + ": lets a drain take the majority of " + replicas);
    }
    for (StatefulSet s : all(StatefulSet.class)) {
      assertTrue(all(PodDisruptionBudget.class).stream().anyMatch(p -> selects(p.getSpec().getSelector().getMatchLabels(),
          s.getSpec().getTemplate().getMetadata().getLabels())), "StatefulSet " + s.getMetadata().getName() + ": no PDB");
    }
  }

  @Test
  void serviceMonitorsSelectOneServiceAndItsPorts() {
    Map<String, Integer> scrapedBy = new java.util.TreeMap<>();
    for (ServiceMonitor m : all(ServiceMonitor.class)) {
      String name = "ServiceMonitor " + m.getMetadata().getName();
      List<Service> services = all(Service.class).stream()
          .filter(s -> selects(m.getSpec().getSelector().getMatchLabels(), s.getMetadata().getLabels())).toList();
      assertFalse(services.isEmpty(), name + ": selects no Service");
      for (Service s : services) {
        scrapedBy.merge(s.getMetadata().getName(), 1, Integer::sum);
        for (Endpoint e : m.getSpec().getEndpoints()) {
          assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(e.getPort())),
              name + ": port " + e.getPort() + " is not a port of Service " + s.getMetadata().getName());
          assertEquals("/metrics", e.getPath(), name + ": path");
        }
      }
    }
    // Each workload is scraped through exactly one Service by exactly one monitor: no gap, no double scrape.
    for (Map.Entry<String, PodTemplateSpec> w : podTemplates().entrySet()) {
      List<String> scrapers = all(Service.class).stream()
          .filter(s -> selects(s.getSpec().getSelector(), w.getValue().getMetadata().getLabels()))
          .map(s -> s.getMetadata().getName()).filter(scrapedBy::containsKey).toList();
      assertEquals(1, scrapers.size(), w.getKey() + ": scraped through " + scrapers);
      assertEquals(1, scrapedBy.get(scrapers.get(0)), scrapers.get(0) + ": selected by several ServiceMonitors");
    }
  }

  static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
