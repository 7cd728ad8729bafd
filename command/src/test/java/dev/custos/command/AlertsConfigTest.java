package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code alerts} section of command.yaml: every key, the defaults and the errors. */
class AlertsConfigTest {
  static final String SLACK = "https://hooks.slack.example/services/T000/B000/XXXXsecretXXXX";
  static final String HEAD = """
      listen: 127.0.0.1:0
      tokens: [{ name: edge, sha256: %s }]
      """.formatted("a".repeat(64));

  @TempDir
  Path dir;

  @BeforeEach
  void urlFile() throws Exception {
    Files.writeString(dir.resolve("slack.url"), SLACK + "\n");
  }

  CommandConfig parse(String alerts) {
    return CommandConfig.parse(HEAD + alerts, "command.yaml", dir);
  }

  @Test
  void withoutAlertsThereAreNoRules() {
    assertThat(parse("").alerts()).isEqualTo(AlertsConfig.NONE);
  }

  @Test
  void everyKeyIsRead() {
    AlertsConfig a = parse("""
        alerts:
          interval: 30s
          webhooks:
            - { name: secops, url_file: slack.url, timeout: 2s, max_attempts: 6, backoff: 250ms,
                send_resolved: true }
            - { name: audit, url_file: slack.url }
          rules:
            - { id: new-flow, kind: new_category_on_edge, window: 10m, lookback: 3d,
                category: us_ssn, route: orders, proxy: gw-1, webhooks: [audit] }
            - { id: card-hoarder, kind: distinct_values, threshold: 10, window: 2h }
            - { id: spike, kind: blocked_spike, threshold: 20, factor: 2.5, baseline: 6,
                by: route, window: 1m }
            - { id: spike-defaults, kind: blocked_spike }
        """).alerts();

    assertThat(a.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(a.webhooks()).containsExactly(
        new AlertsConfig.Webhook("secops", dir.resolve("slack.url").toAbsolutePath(),
            Duration.ofSeconds(2), 6, Duration.ofMillis(250), true),
        new AlertsConfig.Webhook("audit", dir.resolve("slack.url").toAbsolutePath(),
            Duration.ofSeconds(5), 4, Duration.ofSeconds(1), false));
    assertThat(a.rules()).containsExactly(
        new AlertsConfig.Rule("new-flow", AlertsConfig.Kind.NEW_CATEGORY_ON_EDGE,
            Duration.ofMinutes(10), Duration.ofDays(3), 0, 0, 0, AlertsConfig.GroupBy.ALL,
            "us_ssn", "orders", "gw-1", List.of("audit")),
        new AlertsConfig.Rule("card-hoarder", AlertsConfig.Kind.DISTINCT_VALUES,
            Duration.ofHours(2), Duration.ZERO, 10, 0, 0, AlertsConfig.GroupBy.ALL, "", "", "",
            List.of()),
        new AlertsConfig.Rule("spike", AlertsConfig.Kind.BLOCKED_SPIKE, Duration.ofMinutes(1),
            Duration.ZERO, 20, 2.5, 6, AlertsConfig.GroupBy.ROUTE, "", "", "", List.of()),
        new AlertsConfig.Rule("spike-defaults", AlertsConfig.Kind.BLOCKED_SPIKE,
            Duration.ofMinutes(5), Duration.ZERO, 1, 0, 3, AlertsConfig.GroupBy.ALL, "", "", "",
            List.of()));
    assertThat(a.toString()).doesNotContain("secret");
  }

  @Test
  void problemsNameTheLineColumnAndWhatWasExpected() {
    assertThatThrownBy(() -> parse("""
        alerts:
          webhooks:
            - { name: secops, url_file: slack.url }
          rules:
            - { id: a, kind: distinct_values, window: 90m, threshold: 3 }
            - { id: b, kind: distinct_values }
            - { id: c, kind: new_category_on_edge, threshold: 3 }
            - { id: d, kind: blocked_spike, webhooks: [pager] }
            - { id: d, kind: blocked_spike, window: 2d }
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:7:47: alerts.rules[0].window: 90m (expected: whole"
            + " hours: distinct values are counted per hour)")
        .hasMessageContaining("command.yaml:8:7: alerts.rules[1]: missing key 'threshold' in"
            + " alert rule of kind distinct_values")
        .hasMessageContaining("command.yaml:9:55: alerts.rules[2].threshold: not a key of kind"
            + " new_category_on_edge (expected: of these only lookback)")
        .hasMessageContaining("command.yaml:10:48: alerts.rules[3].webhooks[0]: no webhook"
            + " named 'pager' (expected: one of alerts.webhooks: secops)")
        .hasMessageContaining("command.yaml:11:13: alerts.rules[4].id: duplicate id 'd'")
        .hasMessageContaining("alerts.rules[4].window: the window and its 3 baseline windows"
            + " are longer than retention.raw_events (expected: at most 7d together)");
  }

  @Test
  void theSchemaRefusesUnknownKeysAndKinds() {
    assertThatThrownBy(() -> parse("""
        alerts:
          rules:
            - { id: a, kind: budget_exceeded }
            - { id: b, kind: blocked_spike, treshold: 3 }
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:5:")
        .hasMessageContaining("command.yaml:6:")
        .hasMessageContaining("treshold");
  }

  @Test
  void aUrlFileWithoutAUrlIsRefusedWithoutShowingItsContent() throws Exception {
    Files.writeString(dir.resolve("bad.url"), "hooks.slack.example/XXXXsecretXXXX\n");

    assertThatThrownBy(() -> parse("""
        alerts:
          webhooks:
            - { name: a, url_file: bad.url }
            - { name: b, url_file: missing.url }
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:5:28: alerts.webhooks[0].url_file: bad.url holds no"
            + " http or https URL (expected: one URL")
        .hasMessageContaining("command.yaml:6:28: alerts.webhooks[1].url_file: cannot read"
            + " missing.url")
        .message().doesNotContain("secret");
  }
}
