package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.ProxyConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 part 3: every manifest under {@code deploy/kubernetes/} parses into fabric8's typed
 * Kubernetes model (no unknown kind or field falls back to a generic resource), is created on
 * fabric8's mock API server in CRUD mode and read back, and holds together: the proxy
 * configurations in its ConfigMaps load, the grace period covers preStop + drain_timeout +
 * shutdown_timeout, probes and Services name ports that exist, selectors select the pods, and
 * every container runs non-root on a read-only root filesystem.
 */
@EnableKubernetesMockClient(crud = true)
class DeployManifestsTest {
  static final Path MANIFESTS = Path.of("../deploy/kubernetes");
  /** Where the gateway mounts the Secret with the admin token. */
  static final String ADMIN_SECRET = "/var/run/secrets/custos/admin";

  KubernetesClient client;

  @TempDir
  Path dir;

  private static List<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  private List<HasMetadata> load(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return client.load(in).items();
    }
  }

  private List<HasMetadata> all() throws IOException {
    List<HasMetadata> out = new ArrayList<>();
    for (Path p : manifests()) {
      out.addAll(load(p));
    }
    return out;
  }

  @Test
  void everyManifestParsesIntoTypedModelClassesAndIsCreatedOnTheApiServer() throws IOException {
    assertThat(manifests()).extracting(p -> p.getFileName().toString())
        .contains("namespace.yaml", "gateway.yaml", "sidecar.yaml", "command-plane.yaml");
    for (Path file : manifests()) {
      List<HasMetadata> items = load(file);
      assertThat(items).as(file.toString()).isNotEmpty();
      for (HasMetadata item : items) {
        assertThat(item).as(file + ": " + item.getKind() + " " + item.getMetadata().getName())
            .isNotInstanceOf(GenericKubernetesResource.class);
        assertThat(item.getMetadata().getName()).as(file.toString()).isNotBlank();
        if (!item.getKind().equals("Namespace")) {
          assertThat(item.getMetadata().getNamespace()).as(file + ": " + item.getKind())
              .isEqualTo("custos");
        }
        HasMetadata created = client.resource(item).create();
        assertThat(created.getMetadata().getUid()).isNotBlank();
        HasMetadata read = client.resource(item).get();
        assertThat(read).as(file + ": " + item.getKind()).isNotNull();
        assertThat(read.getClass()).isEqualTo(item.getClass());
      }
    }
    assertThat(client.apps().deployments().inNamespace("custos").list().getItems())
        .extracting(d -> d.getMetadata().getName())
        .containsExactlyInAnyOrder("custos-gateway", "custos-command");
    assertThat(client.autoscaling().v2().horizontalPodAutoscalers().inNamespace("custos")
        .withName("custos-gateway").get()).isNotNull();
    assertThat(client.policy().v1().podDisruptionBudget().inNamespace("custos")
        .withName("custos-gateway").get()).isNotNull();
    assertThat(client.pods().inNamespace("custos").withName("orders").get().getSpec()
        .getContainers()).extracting(Container::getName).containsExactly("app", "custos");
  }

  /** The pod specs of the Deployments and Pods of all manifests, by owner name. */
  private Map<String, PodSpec> podSpecs() throws IOException {
    Map<String, PodSpec> out = new java.util.TreeMap<>();
    for (HasMetadata item : all()) {
      if (item instanceof Deployment d) {
        out.put(d.getMetadata().getName(), d.getSpec().getTemplate().getSpec());
      } else if (item instanceof Pod p) {
        out.put(p.getMetadata().getName(), p.getSpec());
      }
    }
    return out;
  }

  @Test
  void everyContainerRunsNonRootOnAReadOnlyRootWithProbesOnDeclaredPorts() throws IOException {
    Map<String, PodSpec> specs = podSpecs();
    assertThat(specs).containsKeys("custos-gateway", "custos-command", "orders");
    specs.forEach((name, spec) -> {
      assertThat(spec.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
      for (Container c : spec.getContainers()) {
        String what = name + "/" + c.getName();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(what).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(what).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(what).contains("ALL");
        assertThat(c.getResources().getLimits()).as(what).containsKey("memory");
        if (!c.getImage().startsWith("custos:")) {
          continue;
        }
        assertThat(c.getLivenessProbe()).as(what + " liveness").isNotNull();
        assertThat(c.getReadinessProbe()).as(what + " readiness").isNotNull();
        assertThat(c.getLifecycle().getPreStop().getExec().getCommand()).as(what)
            .containsExactly("/opt/custos/bin/entrypoint.sh", "drain");
        List<String> ports = c.getPorts() == null ? List.of()
            : c.getPorts().stream().map(ContainerPort::getName).toList();
        for (Probe p : List.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
          if (p.getHttpGet() != null) {
            assertThat(ports).as(what + " probe port").contains(p.getHttpGet().getPort().getStrVal());
            assertThat(p.getHttpGet().getPath()).isIn("/healthz", "/readyz");
          } else {
            assertThat(p.getExec().getCommand()).as(what).startsWith(
                "/opt/custos/bin/entrypoint.sh", "healthcheck");
          }
        }
        assertThat(c.getReadinessProbe().getHttpGet() == null
            ? c.getReadinessProbe().getExec().getCommand().get(2)
            : c.getReadinessProbe().getHttpGet().getPath()).as(what).isEqualTo("/readyz");
        // /tmp is the one writable place the JVM needs.
        assertThat(c.getVolumeMounts()).as(what)
            .anyMatch(m -> m.getMountPath().equals("/tmp") && !Boolean.TRUE.equals(m.getReadOnly()));
      }
    });
  }

  @Test
  void theProxyConfigurationsInTheConfigMapsLoadAndTheGracePeriodCoversTheDrain()
      throws IOException {
    Map<String, ConfigMap> configMaps = new java.util.HashMap<>();
    for (HasMetadata item : all()) {
      if (item instanceof ConfigMap cm) {
        configMaps.put(cm.getMetadata().getName(), cm);
      }
    }
    int checked = 0;
    for (Map.Entry<String, PodSpec> e : podSpecs().entrySet()) {
      PodSpec spec = e.getValue();
      for (Container c : spec.getContainers()) {
        if (!c.getImage().startsWith("custos:") || !c.getArgs().get(0).equals("proxy")) {
          continue;
        }
        String configMap = spec.getVolumes().stream()
            .filter(v -> v.getConfigMap() != null
                && c.getVolumeMounts().stream().anyMatch(m -> m.getName().equals(v.getName())
                    && m.getMountPath().equals("/etc/custos")))
            .findFirst().orElseThrow().getConfigMap().getName();
        Path folder = Files.createDirectories(dir.resolve(e.getKey()).resolve("config"));
        // The container's other mounts (emptyDirs, the admin token's Secret), as folders here.
        Map<String, Path> mounts = new java.util.LinkedHashMap<>();
        for (var m : c.getVolumeMounts()) {
          if (!m.getMountPath().equals("/etc/custos")) {
            mounts.put(m.getMountPath(), Files.createDirectories(
                dir.resolve(e.getKey()).resolve("mounts" + m.getMountPath())));
          }
        }
        if (mounts.containsKey(ADMIN_SECRET)) {
          Files.writeString(mounts.get(ADMIN_SECRET).resolve("token"),
              "0123456789abcdef0123456789abcdef\n");
        }
        for (Map.Entry<String, String> file : configMaps.get(configMap).getData().entrySet()) {
          String text = file.getValue();
          for (Map.Entry<String, Path> m : mounts.entrySet()) {
            text = text.replace(m.getKey() + "/", m.getValue() + "/");
          }
          Files.writeString(folder.resolve(file.getKey()), text);
        }
        assertThat(c.getArgs()).containsExactly("proxy", "--config", "/etc/custos/custos.yaml");
        ProxyConfig config = ProxyConfig.load(folder.resolve("custos.yaml"));
        long preStop = env(c, "CUSTOS_PRESTOP_SECONDS", 5);
        Duration needed = Duration.ofSeconds(preStop).plus(config.drainTimeout())
            .plus(config.shutdownTimeout());
        assertThat(Duration.ofSeconds(spec.getTerminationGracePeriodSeconds()))
            .as(e.getKey() + ": terminationGracePeriodSeconds against preStop + drain_timeout"
                + " + shutdown_timeout")
            .isGreaterThan(needed);
        // The admin port the entrypoint's healthcheck asks is the configured one.
        assertThat(env(c, "CUSTOS_ADMIN_PORT", 9901)).as(e.getKey())
            .isEqualTo(config.admin().orElseThrow().port());
        if (!ProxyConfig.isLoopback(config.admin().orElseThrow().host())) {
          assertThat(config.adminToken()).as(e.getKey() + ": an exposed admin needs a token")
              .isPresent();
          // The readiness probe sends the token from the file the proxy reads it from.
          assertThat(c.getEnv()).as(e.getKey()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("CUSTOS_ADMIN_TOKEN_FILE");
            assertThat(config.adminToken().orElseThrow().file()).isEqualTo(
                mounts.get(ADMIN_SECRET).resolve(Path.of(v.getValue()).getFileName()));
          });
        }
        checked++;
      }
    }
    assertThat(checked).isEqualTo(2);
  }

  private static long env(Container c, String name, long otherwise) {
    return c.getEnv() == null ? otherwise : c.getEnv().stream()
        .filter(v -> v.getName().equals(name)).map(EnvVar::getValue).findFirst()
        .map(Long::parseLong).orElse(otherwise);
  }

  @Test
  void theCommandPlaneConfigurationInItsConfigMapLoads() throws IOException {
    ConfigMap command = all().stream().filter(ConfigMap.class::isInstance)
        .map(ConfigMap.class::cast)
        .filter(cm -> cm.getData() != null && cm.getData().containsKey("command.yaml"))
        .findFirst().orElseThrow();
    dev.custos.command.CommandConfig config = HelmTemplateTest.loadCommandConfig(
        command.getData().get("command.yaml"), dir);
    assertThat(config.port()).isEqualTo(7070);
    assertThat(config.apiTokens()).extracting(t -> t.name() + ":" + t.role().name())
        .containsExactly("admin:ADMIN", "reader:READ");
  }

  @Test
  void servicesHpasAndDisruptionBudgetsSelectThePodsAndTheirPorts() throws IOException {
    List<HasMetadata> items = all();
    Map<String, Map<String, String>> podLabels = new java.util.HashMap<>();
    Map<String, List<String>> podPorts = new java.util.HashMap<>();
    for (HasMetadata item : items) {
      if (item instanceof Deployment d) {
        podLabels.put(d.getMetadata().getName(), d.getSpec().getTemplate().getMetadata().getLabels());
        assertThat(d.getSpec().getSelector().getMatchLabels().entrySet()).as(d.getMetadata().getName())
            .isSubsetOf(d.getSpec().getTemplate().getMetadata().getLabels().entrySet());
        podPorts.put(d.getMetadata().getName(), ports(d.getSpec().getTemplate().getSpec()));
      } else if (item instanceof Pod p) {
        podLabels.put(p.getMetadata().getName(), p.getMetadata().getLabels());
        podPorts.put(p.getMetadata().getName(), ports(p.getSpec()));
      }
    }
    int services = 0;
    for (HasMetadata item : items) {
      if (item instanceof Service s) {
        List<String> selected = podLabels.entrySet().stream()
            .filter(e -> e.getValue().entrySet().containsAll(s.getSpec().getSelector().entrySet()))
            .map(Map.Entry::getKey).toList();
        assertThat(selected).as("Service " + s.getMetadata().getName()).hasSize(1);
        for (ServicePort port : s.getSpec().getPorts()) {
          IntOrString target = port.getTargetPort();
          assertThat(podPorts.get(selected.get(0))).as("Service " + s.getMetadata().getName())
              .contains(target.getStrVal());
        }
        services++;
      } else if (item instanceof HorizontalPodAutoscaler h) {
        assertThat(podLabels).containsKey(h.getSpec().getScaleTargetRef().getName());
        assertThat(h.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
      } else if (item instanceof PodDisruptionBudget pdb) {
        assertThat(podLabels.values()).as("PDB " + pdb.getMetadata().getName())
            .anyMatch(l -> l.entrySet().containsAll(
                pdb.getSpec().getSelector().getMatchLabels().entrySet()));
      }
    }
    assertThat(services).isEqualTo(3);
    // The sidecar's Service targets Custos's port, never the application's.
    assertThat(items).filteredOn(i -> i instanceof Service && i.getMetadata().getName()
        .equals("orders")).singleElement()
        .satisfies(s -> assertThat(((Service) s).getSpec().getPorts().get(0).getTargetPort()
            .getStrVal()).isEqualTo("http"));
  }

  private static List<String> ports(PodSpec spec) {
    List<String> out = new ArrayList<>();
    for (Container c : spec.getContainers()) {
      if (c.getPorts() != null) {
        c.getPorts().forEach(p -> out.add(p.getName()));
      }
    }
    return out;
  }
}
