package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import dev.custos.command.CommandConfig;
import dev.custos.proxy.ProxyConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 part 3: the Helm chart rendered by Helm itself ({@code helm template}, through
 * helm-java's JNI binding, no helm binary needed), with its defaults and with the command plane
 * on: every rendered object parses into fabric8's typed model, is created on the mock API server in
 * CRUD mode, and the proxy configuration it ships loads.
 */
@EnableKubernetesMockClient(crud = true)
class HelmTemplateTest {
  KubernetesClient client;

  @TempDir
  Path dir;

  private List<HasMetadata> render(boolean commandPlane) {
    String rendered = new Helm(HelmChartTest.CHART).template()
        .withName("custos")
        .withNamespace("custos")
        .set("command.enabled", commandPlane)
        .call();
    assertThat(rendered).as("helm template output").isNotBlank();
    return client.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
  }

  private void createAll(List<HasMetadata> items) {
    for (HasMetadata item : items) {
      String what = item.getKind() + " " + item.getMetadata().getName();
      assertThat(item).as(what).isNotInstanceOf(GenericKubernetesResource.class);
      if (item.getMetadata().getNamespace() == null) {
        item.getMetadata().setNamespace("custos");
      }
      HasMetadata created = client.resource(item).create();
      assertThat(created.getMetadata().getUid()).as(what).isNotBlank();
      assertThat(client.resource(item).get()).as(what).isNotNull();
    }
  }

  @Test
  void theDefaultChartRendersAGatewayWhoseObjectsAreCreatedOnTheApiServer() throws IOException {
    List<HasMetadata> items = render(false);
    assertThat(items).extracting(HasMetadata::getKind)
        .contains("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler",
            "PodDisruptionBudget");
    assertThat(items).filteredOn(i -> i instanceof Deployment)
        .extracting(i -> i.getMetadata().getName()).noneMatch(n -> n.contains("command"));
    createAll(items);

    ConfigMap config = items.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
        .filter(cm -> cm.getData() != null && cm.getData().containsKey("custos.yaml"))
        .findFirst().orElseThrow();
    // The Secret and the emptyDir the chart mounts, as folders here.
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Path findings = Files.createDirectories(dir.resolve("findings"));
    Files.writeString(secrets.resolve("token"), "0123456789abcdef0123456789abcdef\n");
    for (var entry : config.getData().entrySet()) {
      Files.writeString(dir.resolve(entry.getKey()), entry.getValue()
          .replace("/var/run/secrets/custos/admin/", secrets + "/")
          .replace("/var/lib/custos/", findings + "/"));
    }
    ProxyConfig loaded = ProxyConfig.load(dir.resolve("custos.yaml"));
    assertThat(loaded.routes()).isNotEmpty();
    assertThat(loaded.clusters().get("app").options().kubernetes()).isNotNull();
  }

  @Test
  void withTheCommandPlaneOnTheChartAlsoRendersItsDeployment() throws IOException {
    List<HasMetadata> items = render(true);
    assertThat(items).filteredOn(i -> i instanceof Deployment)
        .extracting(i -> i.getMetadata().getName()).anyMatch(n -> n.contains("command"));
    createAll(items);
    ConfigMap command = items.stream().filter(ConfigMap.class::isInstance)
        .map(ConfigMap.class::cast)
        .filter(cm -> cm.getData() != null && cm.getData().containsKey("command.yaml"))
        .findFirst().orElseThrow();
    CommandConfig config = loadCommandConfig(command.getData().get("command.yaml"), dir);
    assertThat(config.port()).isEqualTo(7070);
    // The API and dashboard have an admin and a read token, from the tokens Secret.
    assertThat(config.apiTokens()).extracting(t -> t.name() + ":" + t.role().name())
        .containsExactly("admin:ADMIN", "reader:READ");
  }

  /**
   * Loads a command plane configuration shipped in a ConfigMap, its Secrets' mount points made
   * folders under {@code dir} with placeholder contents.
   */
  static CommandConfig loadCommandConfig(String yaml, Path dir) throws IOException {
    Path secrets = Files.createDirectories(dir.resolve("command-secrets"));
    Files.createDirectories(secrets.resolve("postgres"));
    Files.createDirectories(secrets.resolve("tokens"));
    Files.writeString(secrets.resolve("postgres/password"), "placeholder\n");
    Files.writeString(secrets.resolve("tokens/proxy-token"), "0123456789abcdef0123456789abcdef\n");
    Files.writeString(secrets.resolve("tokens/admin-token"), "admin-0123456789abcdef012345678\n");
    Files.writeString(secrets.resolve("tokens/read-token"), "read-0123456789abcdef0123456789\n");
    Path file = dir.resolve("command.yaml");
    Files.writeString(file, yaml.replace("/var/run/secrets/custos/", secrets + "/"));
    return CommandConfig.load(file);
  }
}
