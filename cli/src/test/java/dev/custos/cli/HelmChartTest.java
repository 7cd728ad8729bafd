package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.ProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Issue 14 part 3: the Helm chart under {@code deploy/helm/custos/}. {@link HelmTemplateTest}
 * renders it with Helm's own engine; this test checks the chart's sources: its metadata, that every
 * {@code .Values} path a template reads is in values.yaml (a typo would render an empty string),
 * that every template's blocks are closed, and that the default proxy configuration loads and
 * its drain fits the grace period.
 */
class HelmChartTest {
  static final Path CHART = Path.of("../deploy/helm/custos");
  private static final Pattern VALUES = Pattern.compile("\\.Values((?:\\.[A-Za-z0-9_]+)+)");
  private static final Pattern ACTION = Pattern.compile("\\{\\{-?\\s*(.*?)\\s*-?}}", Pattern.DOTALL);

  @TempDir
  Path dir;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yaml(Path file) throws IOException {
    return (Map<String, Object>) new Load(LoadSettings.builder().build())
        .loadFromString(Files.readString(file));
  }

  private static List<Path> templates() throws IOException {
    try (Stream<Path> files = Files.list(CHART.resolve("templates"))) {
      return files.sorted().toList();
    }
  }

  @Test
  void theChartIsAVersion2ApplicationChartOfThisRelease() throws IOException {
    Map<String, Object> chart = yaml(CHART.resolve("Chart.yaml"));
    assertThat(chart).containsEntry("apiVersion", "v2").containsEntry("name", "custos")
        .containsEntry("type", "application").containsKey("version");
    String appVersion = String.valueOf(chart.get("appVersion"));
    assertThat(VersionProvider.version()).startsWith(appVersion);
  }

  @Test
  void everyValueATemplateReadsIsInValuesYaml() throws IOException {
    Map<String, Object> values = yaml(CHART.resolve("values.yaml"));
    List<String> missing = new ArrayList<>();
    int paths = 0;
    for (Path t : templates()) {
      Matcher m = VALUES.matcher(Files.readString(t));
      while (m.find()) {
        paths++;
        Object node = values;
        for (String key : m.group(1).substring(1).split("\\.")) {
          node = node instanceof Map<?, ?> map && map.containsKey(key) ? map.get(key) : null;
          if (node == null) {
            missing.add(t.getFileName() + ": .Values" + m.group(1));
            break;
          }
        }
      }
    }
    assertThat(paths).isGreaterThan(30);
    assertThat(missing).isEmpty();
  }

  @Test
  void everyTemplateBlockIsClosed() throws IOException {
    for (Path t : templates()) {
      Deque<String> open = new ArrayDeque<>();
      Matcher m = ACTION.matcher(Files.readString(t));
      while (m.find()) {
        String action = m.group(1);
        String word = action.split("[\\s(]", 2)[0];
        switch (word) {
          case "if", "range", "with", "define" -> open.push(word);
          case "end" -> {
            assertThat(open).as(t + ": an end without a block").isNotEmpty();
            open.pop();
          }
          default -> {
            // else, include, expressions: nothing to balance.
          }
        }
      }
      assertThat(open).as(t + ": blocks left open").isEmpty();
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void theDefaultProxyConfigurationLoadsAndItsDrainFitsTheGracePeriod() throws IOException {
    Map<String, Object> gateway = (Map<String, Object>) yaml(CHART.resolve("values.yaml"))
        .get("gateway");
    // The Secret and the emptyDir the chart mounts, as folders here.
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Path findings = Files.createDirectories(dir.resolve("findings"));
    Files.writeString(secrets.resolve("token"), "0123456789abcdef0123456789abcdef\n");
    Files.writeString(dir.resolve("custos.yaml"), ((String) gateway.get("config"))
        .replace("/var/run/secrets/custos/admin/", secrets + "/")
        .replace("/var/lib/custos/", findings + "/"));
    Files.writeString(dir.resolve("policy.yaml"), (String) gateway.get("policy"));

    ProxyConfig config = ProxyConfig.load(dir.resolve("custos.yaml"));

    assertThat(config.clusters().get("app").options().kubernetes()).isNotNull();
    assertThat(config.admin().orElseThrow().port()).isEqualTo(9901);
    assertThat(config.listen().port()).isEqualTo(8080);
    Duration needed = Duration.ofSeconds(((Number) gateway.get("preStopSeconds")).longValue())
        .plus(config.drainTimeout()).plus(config.shutdownTimeout());
    assertThat(Duration.ofSeconds(
        ((Number) gateway.get("terminationGracePeriodSeconds")).longValue()))
        .isGreaterThan(needed);
  }
}
