package io.pledge.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.SecretVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pledge.common.config.Config;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.LeaderEndpoints;
import io.pledge.common.tls.Policy;
import io.pledge.common.tls.TlsOptions;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.cluster.ClusterOptions;
import io.pledge.examples.bank.BankOptions;
import io.pledge.lock.config.LockServiceOptions;
import io.pledge.participant.endpoint.ParticipantOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration the manifests give each server, loaded by the server's own {@link Config} with its own keys
 * ({@link CoordinatorOptions#KEYS}, {@link LockServiceOptions#ALL}, {@link BankOptions#KEYS}): unknown keys and unparseable values fail as they
 * would at start-up, and the effective settings must agree with the ports, volumes and Services around them.
 */
class ServerSettingsTest {

  /** A server of the repository, known by the image it runs from. */
  private enum Server {
    COORDINATOR("pledge/coordinator", CoordinatorOptions.KEYS),
    LOCK_SERVICE("pledge/lock-service", LockServiceOptions.ALL),
    BANK("pledge/examples/bank-transfer", BankOptions.KEYS);

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

  private record Running(HasMetadata workload, PodTemplateSpec template, Container container, Server server,
      Config config, String configFileKey) {

    String name() {
      return workload.getKind() + " " + workload.getMetadata().getName();
    }
  }

  /** The namespace the kustomization puts everything in. */
  private static final String NAMESPACE = Manifests.kustomization().path("namespace").asText();

  private static List<Manifests.Doc> docs;
  private static ConfigMap pledgeConfig;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void load() {
    docs = Manifests.load();
    List<ConfigMap> maps = docs.stream().map(Manifests.Doc::resource).filter(ConfigMap.class::isInstance)
        .map(ConfigMap.class::cast).filter(m -> m.getMetadata().getName().equals("pledge-config")).toList();
    assertEquals(1, maps.size(), "one ConfigMap of settings, pledge-config");
    pledgeConfig = maps.get(0);
  }

  /** Every workload with its pod template: StatefulSets and Deployments. */
  private static Map<HasMetadata, PodTemplateSpec> workloads() {
    Map<HasMetadata, PodTemplateSpec> all = new LinkedHashMap<>();
    for (Manifests.Doc d : docs) {
      if (d.resource() instanceof StatefulSet s) {
        all.put(s, s.getSpec().getTemplate());
      } else if (d.resource() instanceof Deployment dep) {
        all.put(dep, dep.getSpec().getTemplate());
      }
    }
    return all;
  }

  /** The cert-manager Certificate that keeps Secret {@code secretName}. */
  private static Certificate certificateOf(String secretName) {
    return docs.stream().map(Manifests.Doc::resource).filter(Certificate.class::isInstance).map(Certificate.class::cast)
        .filter(c -> secretName.equals(c.getSpec().getSecretName())).findFirst()
        .orElseThrow(() -> new AssertionError("no cert-manager Certificate keeps Secret " + secretName));
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
  private static Running start(HasMetadata workload, PodTemplateSpec template, Container c) throws IOException {
    return start(workload, template, c, 0);
  }

  /** As {@link #start(HasMetadata, PodTemplateSpec, Container)}, in the pod of the given StatefulSet ordinal. */
  private static Running start(HasMetadata workload, PodTemplateSpec template, Container c, int ordinal)
      throws IOException {
    Server server = Server.of(c);
    String where = workload.getKind() + " " + workload.getMetadata().getName() + " container " + c.getName();
    Map<String, String> env = new LinkedHashMap<>();
    Set<String> allowed = server.keys.stream().map(ConfigKey::envName).collect(Collectors.toCollection(HashSet::new));
    allowed.add("PLEDGE_CONFIG");
    for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
      if (e.getName().startsWith("PLEDGE_")) {
        assertTrue(allowed.contains(e.getName()), where + ": " + e.getName() + " is not a setting of " + server);
      }
      env.put(e.getName(), e.getValue() != null ? e.getValue() : downwardApi(workload, e, ordinal));
    }
    List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
    String configPath = args.stream().filter(a -> a.startsWith("--config=")).map(a -> a.substring(9)).findFirst()
        .orElse(env.get("PLEDGE_CONFIG"));
    assertNotNull(configPath, where + ": reads no config file (--config or PLEDGE_CONFIG)");
    String key = configMapKeyMountedAt(template, c, configPath);
    Path file = Files.writeString(tmp.resolve(workload.getMetadata().getName() + "-" + ordinal + "-" + key),
        pledgeConfig.getData().get(key));
    env.remove("PLEDGE_CONFIG");
    List<String> flags = args.stream().filter(a -> !a.startsWith("--config=")).collect(Collectors.toList());
    flags.add("--config=" + file);
    Config config = Config.load(server.keys, flags.toArray(String[]::new), env);
    // The TLS files are read at start (TlsOptions.from, Policy.from): here they are copies of what the pod would find
    // at those paths, the policy as the ConfigMap has it and stand-ins for what cert-manager writes into the Secret.
    for (ConfigKey<String> k : List.of(TlsOptions.CERT, TlsOptions.KEY, TlsOptions.CA, Policy.FILE)) {
      if (!config.get(k).isBlank()) {
        MountedFile mounted = mountedFile(template, c, config.get(k));
        Path copy = tmp.resolve(workload.getMetadata().getName() + "-" + ordinal + "-" + mounted.key());
        Files.writeString(copy, mounted.configMapText().orElse("stand-in for " + mounted));
        flags.add("--" + k.name() + "=" + copy);
      }
    }
    Config local = Config.load(server.keys, flags.toArray(String[]::new), env);
    switch (server) { // the range checks of the options records
      case COORDINATOR -> CoordinatorOptions.from(local);
      case BANK -> BankOptions.from(local);
      case LOCK_SERVICE -> { }
    }
    TlsOptions.from(local);
    Policy.from(local); // the policy file parses, for every server
    return new Running(workload, template, c, server, config, key);
  }

  /** A file in a container: the key {@code key} of the Secret or ConfigMap volume {@code volume} mounted there. */
  record MountedFile(Volume volume, VolumeMount mount, String key) {
    Optional<String> secretName() {
      return Optional.ofNullable(volume.getSecret()).map(SecretVolumeSource::getSecretName);
    }

    /** The file's text when it comes from a ConfigMap of the manifests. */
    Optional<String> configMapText() {
      if (volume.getConfigMap() == null) {
        return Optional.empty();
      }
      ConfigMap map = docs.stream().map(Manifests.Doc::resource).filter(ConfigMap.class::isInstance)
          .map(ConfigMap.class::cast).filter(m -> m.getMetadata().getName().equals(volume.getConfigMap().getName()))
          .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + volume.getConfigMap().getName()));
      return Optional.ofNullable(map.getData().get(key));
    }

    @Override
    public String toString() {
      return (volume.getSecret() != null ? "Secret " + volume.getSecret().getSecretName()
          : "ConfigMap " + volume.getConfigMap().getName()) + " key " + key;
    }
  }

  /** Which Secret or ConfigMap key a path of container {@code c} is; fails for a path no such volume provides. */
  static MountedFile mountedFile(PodTemplateSpec template, Container c, String path) {
    for (VolumeMount m : c.getVolumeMounts()) {
      if (!path.startsWith(m.getMountPath() + "/")) {
        continue;
      }
      String rest = path.substring(m.getMountPath().length() + 1);
      Volume v = template.getSpec().getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst()
          .orElseThrow();
      List<KeyToPath> items = v.getSecret() != null ? v.getSecret().getItems()
          : v.getConfigMap() != null ? v.getConfigMap().getItems() : null;
      if (v.getSecret() == null && v.getConfigMap() == null) {
        continue;
      }
      if (items == null || items.isEmpty()) {
        return new MountedFile(v, m, rest);
      }
      for (KeyToPath item : items) {
        if (item.getPath().equals(rest)) {
          return new MountedFile(v, m, item.getKey());
        }
      }
    }
    throw new AssertionError(c.getName() + ": " + path + " is no file of a mounted Secret or ConfigMap");
  }

  private static String downwardApi(HasMetadata workload, EnvVar e, int ordinal) {
    assertNotNull(e.getValueFrom(), e.getName() + ": neither value nor valueFrom");
    assertNotNull(e.getValueFrom().getFieldRef(), e.getName() + ": only downward-API fields are expected");
    return switch (e.getValueFrom().getFieldRef().getFieldPath()) {
      case "metadata.name" -> workload.getMetadata().getName() + "-" + ordinal;
      case "status.podIP" -> "10.1.2.3";
      case "metadata.namespace" -> "pledge";
      default -> throw new AssertionError(e.getName() + ": unexpected field " + e.getValueFrom().getFieldRef().getFieldPath());
    };
  }

  private static String configMapKeyMountedAt(PodTemplateSpec template, Container c, String path) {
    for (VolumeMount m : c.getVolumeMounts()) {
      var volume = template.getSpec().getVolumes().stream()
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
    for (Map.Entry<HasMetadata, PodTemplateSpec> w : workloads().entrySet()) {
      for (Container c : w.getValue().getSpec().getContainers()) {
        all.add(start(w.getKey(), w.getValue(), c));
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
    ClusterOptions cluster = CoordinatorOptions.from(c).cluster()
        .orElseThrow(() -> new AssertionError("the coordinator runs as a cluster: cluster.peers is not set"));
    assertEquals(Set.of(c.get(CoordinatorOptions.GRPC_PORT), c.get(CoordinatorOptions.HTTP_PORT),
        cluster.effectiveRaftPort()), containerPorts(r.container()));
    StatefulSet sts = (StatefulSet) r.workload();
    Set<String> claims = sts.getSpec().getVolumeClaimTemplates().stream().map(v -> v.getMetadata().getName())
        .collect(Collectors.toSet());
    for (Path dir : List.of(Path.of(c.get(CoordinatorOptions.DATA_DIR)), cluster.storageDir())) {
      assertTrue(r.container().getVolumeMounts().stream().anyMatch(m -> claims.contains(m.getName())
          && dir.startsWith(Path.of(m.getMountPath()))),
          dir + " (data.dir, cluster.storage-dir) must be on a persistent volume claim");
    }
  }

  /**
   * Issue 15: three members, each with its pod name as its Raft id, all listing the same peers, which are the pods'
   * DNS names under the governing headless Service at the Raft port the container declares. Loaded for every
   * ordinal, as each pod would start: a member whose id were not among the peers would not start.
   */
  @Test
  void coordinatorMembersFormOneRaftGroupThroughTheHeadlessService() throws IOException {
    Running first = the(Server.COORDINATOR);
    StatefulSet sts = (StatefulSet) first.workload();
    String name = sts.getMetadata().getName();
    int replicas = sts.getSpec().getReplicas();
    assertEquals(3, replicas, "issue 15: the coordinator runs as a group of three");
    assertEquals("Parallel", sts.getSpec().getPodManagementPolicy(),
        "members must start together: none is ready before the group has a leader");
    Service headless = services().stream().filter(s -> s.getMetadata().getName().equals(sts.getSpec().getServiceName()))
        .findFirst().orElseThrow();
    assertEquals("None", headless.getSpec().getClusterIP());
    assertTrue(Boolean.TRUE.equals(headless.getSpec().getPublishNotReadyAddresses()),
        headless.getMetadata().getName() + " must resolve members before they are ready, or no leader is ever elected");
    int raftPort = first.container().getPorts().stream().filter(p -> "raft".equals(p.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("the coordinator declares no port named raft")).getContainerPort();
    assertTrue(headless.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == raftPort
        && "raft".equals(p.getTargetPort().getStrVal())), "the headless Service lists the Raft port");

    Set<String> podNames = new TreeSet<>();
    for (int i = 0; i < replicas; i++) {
      podNames.add(name + "-" + i);
    }
    Set<String> clusterNames = new HashSet<>();
    for (int i = 0; i < replicas; i++) {
      Running r = start(sts, first.template(), first.container(), i);
      CoordinatorOptions options = CoordinatorOptions.from(r.config());
      ClusterOptions cluster = options.cluster().orElseThrow(() -> new AssertionError("cluster.peers is not set"));
      assertEquals(name + "-" + i, cluster.nodeId(), "a member's id is its pod name");
      assertEquals(podNames, cluster.peers().stream().map(ClusterOptions.Peer::id)
          .collect(Collectors.toCollection(TreeSet::new)), "cluster.peers names exactly the StatefulSet's pods");
      assertEquals(replicas, cluster.peers().size());
      for (ClusterOptions.Peer peer : cluster.peers()) {
        assertEquals(peer.id() + "." + headless.getMetadata().getName() + "." + NAMESPACE + ".svc", peer.host(),
            peer + ": a peer is reached by its pod's stable DNS name under the governing Service");
        assertEquals(raftPort, peer.raftPort(), peer + ": the Raft port the container declares");
      }
      assertEquals(raftPort, cluster.effectiveRaftPort());
      assertFalse(podNames.contains(options.nodeId()), "node.id names the cluster, not one member");
      clusterNames.add(options.nodeId());
    }
    assertEquals(1, clusterNames.size(), "every member issues transaction ids under the same node.id");
  }

  @Test
  void coordinatorReleasesLocksAtTheLockService() throws IOException {
    // Issue 12 item 10: without locks.endpoint a finished transaction's locks were never released.
    Config c = the(Server.COORDINATOR).config();
    assertTrue(!c.get(CoordinatorOptions.LOCK_SERVICE).isBlank(), "locks.endpoint is not set");
    assertServes(Endpoint.parse(c.get(CoordinatorOptions.LOCK_SERVICE)), the(Server.LOCK_SERVICE),
        LockServiceOptions.GRPC_PORT);
    assertTrue(c.get(CoordinatorOptions.MAX_CONCURRENT_STREAMS) >= 1024, "grpc.max-concurrent-streams");
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
    StatefulSet sts = (StatefulSet) r.workload();
    Map<String, String> podLabels = r.template().getMetadata().getLabels();
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
    assertEquals(sts.getSpec().getServiceName(), serviceName, "the StatefulSet's governing Service");

    int replicas = sts.getSpec().getReplicas();
    assertEquals(3, replicas);
    assertEquals(replicas / 2 + 1, c.get(LockServiceOptions.QUORUM), "cluster.quorum must be a majority");
    assertEquals("", c.get(LockServiceOptions.KUBERNETES_NAMESPACE), "the pod's own namespace (kustomize sets it)");
  }

  @Test
  void banksKeepTheirDataOnTheirOwnVolumeAndAreCalledBackThroughTheirService() throws IOException {
    List<Running> banks = running().stream().filter(r -> r.server() == Server.BANK).toList();
    assertEquals(2, banks.size(), "the example runs two banks");
    Set<String> names = new HashSet<>();
    Set<String> claims = new HashSet<>();
    for (Running r : banks) {
      Config c = r.config();
      Deployment d = (Deployment) r.workload();
      assertEquals(1, d.getSpec().getReplicas(), r.name() + ": one writer per participant log");
      assertEquals("Recreate", d.getSpec().getStrategy().getType(), r.name() + ": never two pods on one log");
      assertTrue(names.add(c.get(BankOptions.NAME)), r.name() + ": bank names (participant ids) must differ");
      assertEquals("0.0.0.0", c.get(BankOptions.HTTP_HOST));
      assertEquals("0.0.0.0", c.get(ParticipantOptions.HOST));
      assertEquals(Set.of(c.get(BankOptions.HTTP_PORT), c.get(ParticipantOptions.PORT)), containerPorts(r.container()));

      Path dataDir = Path.of(c.get(ParticipantOptions.DATA_DIR));
      VolumeMount data = r.container().getVolumeMounts().stream().filter(m -> Path.of(m.getMountPath()).equals(dataDir))
          .findFirst().orElseThrow(() -> new AssertionError(r.name() + ": participant.data.dir is no volume mount"));
      var claim = r.template().getSpec().getVolumes().stream().filter(v -> v.getName().equals(data.getName()))
          .findFirst().orElseThrow().getPersistentVolumeClaim();
      assertNotNull(claim, r.name() + ": the database and participant log must be on a persistent volume");
      assertTrue(claims.add(claim.getClaimName()), r.name() + ": each bank needs its own claim");
      assertTrue(docs.stream().anyMatch(doc -> doc.resource().getKind().equals("PersistentVolumeClaim")
          && doc.resource().getMetadata().getName().equals(claim.getClaimName())), claim.getClaimName() + " exists");

      Endpoint advertised = Endpoint.parse(c.get(ParticipantOptions.ADVERTISED));
      assertEquals(c.get(ParticipantOptions.PORT), servicePortTarget(advertised, r.template()).getContainerPort(),
          r.name() + ": the advertised endpoint must reach this pod's participant port through a stable Service");
      for (Endpoint coordinator : LeaderEndpoints.parseList(c.get(ParticipantOptions.COORDINATOR))) {
        assertServes(coordinator, the(Server.COORDINATOR), CoordinatorOptions.GRPC_PORT);
      }
      assertServes(Endpoint.parse(c.get(BankOptions.LOCK_SERVICE)), the(Server.LOCK_SERVICE),
          LockServiceOptions.GRPC_PORT);
    }
  }

  /**
   * Issue 15: clients and participants follow the leader from a list of the members: the banks name every member
   * (by the same DNS names as cluster.peers), not one Service that may land on a follower.
   */
  @Test
  void participantsNameEveryCoordinatorMember() throws IOException {
    ClusterOptions cluster = CoordinatorOptions.from(the(Server.COORDINATOR).config()).cluster().orElseThrow();
    int grpcPort = the(Server.COORDINATOR).config().get(CoordinatorOptions.GRPC_PORT);
    Set<String> members = cluster.peers().stream().map(p -> p.host() + ":" + grpcPort)
        .collect(Collectors.toCollection(TreeSet::new));
    for (Running bank : running().stream().filter(r -> r.server() == Server.BANK).toList()) {
      List<Endpoint> configured = LeaderEndpoints.parseList(bank.config().get(ParticipantOptions.COORDINATOR));
      assertEquals(members, configured.stream().map(Endpoint::toString).collect(Collectors.toCollection(TreeSet::new)),
          bank.name() + ": name every member in coordinator.endpoint, as cluster.peers does");
    }
  }

  /**
   * Issue 14: every server runs mutual TLS from the Secret a cert-manager Certificate keeps (cert-manager's file
   * names), mounted whole so that renewals reach it, and with the policy file of ConfigMap pledge-policy.
   */
  @Test
  void everyServerRunsMutualTlsFromItsCertificatesSecretAndThePolicy() throws IOException {
    for (Running r : running()) {
      Config c = r.config();
      assertEquals("require", c.get(TlsOptions.CLIENT_AUTH).trim(), r.name() + ": tls.client-auth (mutual TLS)");
      Map<String, MountedFile> files = new LinkedHashMap<>();
      for (ConfigKey<String> k : List.of(TlsOptions.CERT, TlsOptions.KEY, TlsOptions.CA)) {
        assertFalse(c.get(k).isBlank(), r.name() + ": " + k.name() + " is not set: TLS is off");
        files.put(k.name(), mountedFile(r.template(), r.container(), c.get(k)));
      }
      assertEquals(List.of("tls.crt", "tls.key", "ca.crt"), files.values().stream().map(MountedFile::key).toList(),
          r.name() + ": tls.cert, tls.key, tls.ca are the files cert-manager writes: " + files);
      Set<Optional<String>> secrets = files.values().stream().map(MountedFile::secretName).collect(Collectors.toSet());
      assertEquals(1, secrets.size(), r.name() + ": certificate, key and CA come from one Secret: " + files);
      String secret = secrets.iterator().next()
          .orElseThrow(() -> new AssertionError(r.name() + ": the TLS files must come from a Secret: " + files));
      Certificate certificate = certificateOf(secret);
      assertFalse(Boolean.TRUE.equals(certificate.getSpec().getIsCA()), r.name() + ": mounts the CA's own Secret");
      for (MountedFile f : files.values()) {
        assertTrue(f.mount().getSubPath() == null || f.mount().getSubPath().isEmpty(),
            r.name() + ": a subPath mount never sees cert-manager's renewals");
      }
      MountedFile policy = mountedFile(r.template(), r.container(), c.get(Policy.FILE));
      assertNotNull(policy.volume().getConfigMap(), r.name() + ": tls.policy must come from a ConfigMap");
      assertEquals("pledge-policy", policy.volume().getConfigMap().getName(), r.name() + ": tls.policy");
      assertTrue(policy.configMapText().isPresent(), r.name() + ": " + policy + " does not exist");
    }
  }

  /**
   * Clients check the server's name against its certificate (TlsOptions: HTTPS host verification): each server's
   * certificate must carry every host name it is dialled by, as the other servers' settings name it, including
   * the members' pod names a follower gives as the leader's.
   */
  @Test
  void everyServerCertificateNamesTheHostsItIsDialledBy() throws IOException {
    List<Running> all = running();
    Running coordinator = the(Server.COORDINATOR);
    List<Running> banks = all.stream().filter(r -> r.server() == Server.BANK).toList();
    Set<String> coordinatorHosts = new TreeSet<>();
    CoordinatorOptions.from(coordinator.config()).cluster().orElseThrow().peers()
        .forEach(p -> coordinatorHosts.add(p.host()));
    Set<String> lockHosts = new TreeSet<>();
    lockHosts.add(Endpoint.parse(coordinator.config().get(CoordinatorOptions.LOCK_SERVICE)).host());
    for (Running bank : banks) {
      LeaderEndpoints.parseList(bank.config().get(ParticipantOptions.COORDINATOR))
          .forEach(e -> coordinatorHosts.add(e.host()));
      lockHosts.add(Endpoint.parse(bank.config().get(BankOptions.LOCK_SERVICE)).host());
    }
    for (Running r : all) {
      Set<String> dialled = switch (r.server()) {
        case COORDINATOR -> coordinatorHosts;
        case LOCK_SERVICE -> lockHosts;
        case BANK -> Set.of(Endpoint.parse(r.config().get(ParticipantOptions.ADVERTISED)).host());
      };
      String secret = mountedFile(r.template(), r.container(), r.config().get(TlsOptions.CERT)).secretName()
          .orElseThrow();
      List<String> names = certificateOf(secret).getSpec().getDnsNames();
      assertTrue(names != null && names.containsAll(dialled),
          r.name() + ": its certificate's dnsNames " + names + " must include every name it is dialled by " + dialled);
    }
  }

  /** The container port that {@code endpoint} (a Service name and port) reaches in pods of {@code template}. */
  private static ContainerPort servicePortTarget(Endpoint endpoint, PodTemplateSpec template) {
    Service svc = serviceOf(endpoint);
    assertTrue(template.getMetadata().getLabels().entrySet().containsAll(svc.getSpec().getSelector().entrySet()),
        endpoint + ": Service " + svc.getMetadata().getName() + " does not select these pods");
    ServicePort port = svc.getSpec().getPorts().stream().filter(p -> p.getPort() == endpoint.port()).findFirst()
        .orElseThrow(() -> new AssertionError(endpoint + ": Service " + svc.getMetadata().getName() + " has no such port"));
    IntOrString target = port.getTargetPort();
    return template.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
        .filter(p -> target.getStrVal() != null ? target.getStrVal().equals(p.getName())
            : target.getIntVal().equals(p.getContainerPort())).findFirst()
        .orElseThrow(() -> new AssertionError(endpoint + ": target port " + target + " is no container port"));
  }

  /**
   * The Service a host name resolves to inside the namespace: {@code svc}, {@code svc.ns.svc}, or a StatefulSet
   * pod's {@code pod-N.svc.ns.svc} under its governing headless Service, with N below the replica count.
   */
  private static Service serviceOf(Endpoint endpoint) {
    String host = endpoint.host();
    String suffix = "." + NAMESPACE + ".svc";
    String name = host.endsWith(suffix) ? host.substring(0, host.length() - suffix.length()) : host;
    String[] parts = name.split("\\.");
    if (parts.length == 2) {
      StatefulSet sts = docs.stream().map(Manifests.Doc::resource).filter(StatefulSet.class::isInstance)
          .map(StatefulSet.class::cast).filter(s -> s.getSpec().getServiceName().equals(parts[1])).findFirst()
          .orElseThrow(() -> new AssertionError(endpoint + ": " + parts[1] + " governs no StatefulSet"));
      String prefix = sts.getMetadata().getName() + "-";
      assertTrue(parts[0].startsWith(prefix) && parts[0].substring(prefix.length()).matches("\\d+")
          && Integer.parseInt(parts[0].substring(prefix.length())) < sts.getSpec().getReplicas(),
          endpoint + ": " + parts[0] + " is no pod of StatefulSet " + sts.getMetadata().getName());
      name = parts[1];
    } else {
      assertEquals(1, parts.length, endpoint + ": not a Service or pod name of namespace " + NAMESPACE);
    }
    String svcName = name;
    return services().stream().filter(s -> s.getMetadata().getName().equals(svcName)).findFirst()
        .orElseThrow(() -> new AssertionError(endpoint + ": " + svcName + " is no Service"));
  }

  private static void assertServes(Endpoint endpoint, Running server, ConfigKey<Integer> portKey) {
    assertEquals(server.config().get(portKey), servicePortTarget(endpoint, server.template()).getContainerPort(),
        endpoint + " must reach " + server.name() + "'s " + portKey.name());
  }
}
