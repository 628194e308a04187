package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.lock.config.LockServiceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration the manifests give each server, loaded by the server's own {@link Config} with its own keys
 * ({@link CoordinatorOptions#KEYS}, {@link LockServiceOptions#ALL}): unknown keys and unparseable values fail as they
 * would at start-up, and the effective settings must agree with the ports, volumes and Services around them.
 */
class ServerSettingsTest {

  /** A server of the repository, known by the image it runs from. */
  private enum Server {
    COORDINATOR("pledge/coordinator", CoordinatorOptions.KEYS),
    LOCK_SERVICE("pledge/lock-service", LockServiceOptions.ALL);

    final String image;
    final List<ConfigKey<?>> keys;

    Server(String image, List<ConfigKey<?>> keys) {
      this.image = image;
      this.keys = keys;
    }

    static Server of(Container c) {
      for (Server s : values()) {
        if (c.getImage().startsWith(s.image + ":")) {
          return s;
        }
      }
      throw new AssertionError("container " + c.getName() + " runs " + c.getImage() + ", not a Pledge server");
    }
  }

  private record Running(StatefulSet workload, Container container, Server server, Config config,
      String configFileKey) {}

  private static List<Manifests.Doc> docs;
  private static ConfigMap pledgeConfig;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void load() {
    docs = Manifests.load();
    List<ConfigMap> maps = docs.stream().map(Manifests.Doc::resource).filter(ConfigMap.class::isInstance)
        .map(ConfigMap.class::cast).toList();
    assertEquals(1, maps.size(), "one ConfigMap of settings");
    pledgeConfig = maps.get(0);
  }

  private static List<StatefulSet> statefulSets() {
    return docs.stream().map(Manifests.Doc::resource).filter(StatefulSet.class::isInstance)
        .map(StatefulSet.class::cast).toList();
  }

  private static List<Service> services() {
    return docs.stream().map(Manifests.Doc::resource).filter(Service.class::isInstance).map(Service.class::cast)
        .toList();
  }

  /**
   * Loads the settings of the server in {@code c} as it would start in pod 0: the file named by {@code --config} or
   * PLEDGE_CONFIG, read from the ConfigMap item mounted there, and the container's environment, with the downward API
   * values a pod would get.
   */
  private static Running start(StatefulSet sts, Container c) throws IOException {
    Server server = Server.of(c);
    String where = "StatefulSet " + sts.getMetadata().getName() + " container " + c.getName();
    Map<String, String> env = new LinkedHashMap<>();
    Set<String> allowed = server.keys.stream().map(ConfigKey::envName).collect(Collectors.toCollection(HashSet::new));
    allowed.add("PLEDGE_CONFIG");
    for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
      if (e.getName().startsWith("PLEDGE_")) {
        assertTrue(allowed.contains(e.getName()), where + ": " + e.getName() + " is not a setting of " + server);
      }
      env.put(e.getName(), e.getValue() != null ? e.getValue() : downwardApi(sts, e));
    }
    List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
    String configPath = args.stream().filter(a -> a.startsWith("--config=")).map(a -> a.substring(9)).findFirst()
        .orElse(env.get("PLEDGE_CONFIG"));
    assertNotNull(configPath, where + ": reads no config file (--config or PLEDGE_CONFIG)");
    String key = configMapKeyMountedAt(sts, c, configPath);
    Path file = Files.writeString(tmp.resolve(sts.getMetadata().getName() + "-" + key), pledgeConfig.getData().get(key));
    env.remove("PLEDGE_CONFIG");
    List<String> flags = args.stream().filter(a -> !a.startsWith("--config=")).collect(Collectors.toList());
    flags.add("--config=" + file);
    Config config = Config.load(server.keys, flags.toArray(String[]::new), env);
    if (server == Server.COORDINATOR) {
      CoordinatorOptions.from(config); // the range checks of the options record
    }
    return new Running(sts, c, server, config, key);
  }

  private static String downwardApi(StatefulSet sts, EnvVar e) {
    assertNotNull(e.getValueFrom(), e.getName() + ": neither value nor valueFrom");
    assertNotNull(e.getValueFrom().getFieldRef(), e.getName() + ": only downward-API fields are expected");
    return switch (e.getValueFrom().getFieldRef().getFieldPath()) {
      case "metadata.name" -> sts.getMetadata().getName() + "-0";
      case "status.podIP" -> "10.1.2.3";
      case "metadata.namespace" -> "pledge";
      default -> throw new AssertionError(e.getName() + ": unexpected field " + e.getValueFrom().getFieldRef().getFieldPath());
    };
  }

  private static String configMapKeyMountedAt(StatefulSet sts, Container c, String path) {
    for (VolumeMount m : c.getVolumeMounts()) {
      var volume = sts.getSpec().getTemplate().getSpec().getVolumes().stream()
          .filter(v -> v.getName().equals(m.getName()) && v.getConfigMap() != null).findFirst();
      if (volume.isEmpty() || !volume.get().getConfigMap().getName().equals(pledgeConfig.getMetadata().getName())) {
        continue;
      }
      for (var item : volume.get().getConfigMap().getItems()) {
        if (path.equals(m.getMountPath() + "/" + item.getPath())) {
          return item.getKey();
        }
      }
    }
    throw new AssertionError(c.getName() + ": " + path + " is no item of ConfigMap " + pledgeConfig.getMetadata().getName());
  }

  private static List<Running> running() throws IOException {
    List<Running> all = new java.util.ArrayList<>();
    for (StatefulSet sts : statefulSets()) {
      for (Container c : sts.getSpec().getTemplate().getSpec().getContainers()) {
        all.add(start(sts, c));
      }
    }
    return all;
  }

  private static Running the(Server server) throws IOException {
    return running().stream().filter(r -> r.server() == server).findFirst()
        .orElseThrow(() -> new AssertionError("no workload runs " + server));
  }

  private static Set<Integer> containerPorts(Container c) {
    return c.getPorts().stream().map(ContainerPort::getContainerPort).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void everyServerStartsWithTheSettingsGivenAndEveryFileIsRead() throws IOException {
    List<Running> all = running();
    assertEquals(Set.of(Server.values()), all.stream().map(Running::server).collect(Collectors.toSet()));
    Set<String> read = all.stream().map(Running::configFileKey).collect(Collectors.toSet());
    assertEquals(pledgeConfig.getData().keySet(), read, "every file of the ConfigMap is some server's --config");
    for (Running r : all) {
      assertTrue(r.configFileKey().endsWith(".properties"), r.configFileKey());
    }
  }

  @Test
  void coordinatorListensOnItsContainerPortsAndLogsToItsVolume() throws IOException {
    Running r = the(Server.COORDINATOR);
    Config c = r.config();
    assertEquals("0.0.0.0", c.get(CoordinatorOptions.HOST), "a pod must listen on every interface");
    assertEquals(Set.of(c.get(CoordinatorOptions.GRPC_PORT), c.get(CoordinatorOptions.HTTP_PORT)),
        containerPorts(r.container()));
    Set<String> claims = r.workload().getSpec().getVolumeClaimTemplates().stream().map(v -> v.getMetadata().getName())
        .collect(Collectors.toSet());
    assertTrue(r.container().getVolumeMounts().stream().anyMatch(m -> claims.contains(m.getName())
        && Path.of(m.getMountPath()).equals(Path.of(c.get(CoordinatorOptions.DATA_DIR)))),
        "data.dir " + c.get(CoordinatorOptions.DATA_DIR) + " must be the mount of a persistent volume claim");
    assertEquals(r.workload().getMetadata().getName() + "-0", c.get(CoordinatorOptions.NODE_ID),
        "the node id is the pod name, stable across restarts");
  }

  @Test
  void lockMembersBindTheirPodIpAndDiscoverEachOtherThroughAHeadlessService() throws IOException {
    Running r = the(Server.LOCK_SERVICE);
    Config c = r.config();
    assertEquals("10.1.2.3", c.get(LockServiceOptions.HAZELCAST_HOST), "hazelcast.host must be the pod IP");
    assertEquals("0.0.0.0", c.get(LockServiceOptions.GRPC_HOST));
    assertEquals("0.0.0.0", c.get(LockServiceOptions.OPS_HOST));
    assertEquals(Set.of(c.get(LockServiceOptions.GRPC_PORT), c.get(LockServiceOptions.OPS_PORT),
        c.get(LockServiceOptions.HAZELCAST_PORT)), containerPorts(r.container()));
    assertTrue(c.get(LockServiceOptions.KUBERNETES), "hazelcast.kubernetes must be on");
    assertEquals("", c.get(LockServiceOptions.MEMBERS), "a member list would be ignored next to discovery");

    String serviceName = c.get(LockServiceOptions.KUBERNETES_SERVICE);
    Service svc = services().stream().filter(s -> s.getMetadata().getName().equals(serviceName)).findFirst()
        .orElseThrow(() -> new AssertionError("hazelcast.kubernetes.service-name " + serviceName + " is no Service"));
    assertEquals("None", svc.getSpec().getClusterIP(), serviceName + " must be headless: members, not a virtual IP");
    assertTrue(Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses()),
        serviceName + " must list members before they are ready, or the first ones could never be joined");
    Map<String, String> podLabels = r.workload().getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet()), serviceName + " selector");
    // Hazelcast's discovery connects to the endpoint port named "hazelcast", or else to the only one.
    List<ServicePort> named = svc.getSpec().getPorts().stream().filter(p -> "hazelcast".equals(p.getName())).toList();
    assertTrue(named.size() == 1 || svc.getSpec().getPorts().size() == 1,
        serviceName + ": needs one port named hazelcast, or a single port");
    ServicePort port = named.isEmpty() ? svc.getSpec().getPorts().get(0) : named.get(0);
    IntOrString target = port.getTargetPort();
    ContainerPort hz = r.container().getPorts().stream()
        .filter(p -> target.getStrVal() != null ? target.getStrVal().equals(p.getName())
            : target.getIntVal().equals(p.getContainerPort())).findFirst().orElseThrow();
    assertEquals(c.get(LockServiceOptions.HAZELCAST_PORT), hz.getContainerPort(), "targetPort is the member port");
    assertEquals(c.get(LockServiceOptions.HAZELCAST_PORT), port.getPort(), "the endpoints carry the member port");
    assertEquals(r.workload().getSpec().getServiceName(), serviceName, "the StatefulSet's governing Service");

    int replicas = r.workload().getSpec().getReplicas();
    assertEquals(3, replicas);
    assertEquals(replicas / 2 + 1, c.get(LockServiceOptions.QUORUM), "cluster.quorum must be a majority");
    assertEquals("", c.get(LockServiceOptions.KUBERNETES_NAMESPACE), "the pod's own namespace (kustomize sets it)");
  }
}
