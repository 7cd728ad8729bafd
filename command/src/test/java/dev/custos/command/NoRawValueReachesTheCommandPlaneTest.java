package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import dev.custos.engine.Backend;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.InspectionService;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.BossGroups;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plants canary values in traffic through a real inspecting proxy, sends the findings events it
 * writes to the command plane, and also sends batches that carry canaries where the plane must not
 * keep them (unknown fields, a malformed field, an unmasked preview). Then looks for the canaries
 * in every table, the API's answers (flows, lineage, map, heatmap, top identities, findings
 * list, whoami), the metrics and the log.
 */
class NoRawValueReachesTheCommandPlaneTest {
  static final String CARD = "4111111111111111";
  static final String SSN = "078-05-1120";
  static final String EMAIL = "jane.canary@example.com";
  static final List<String> CANARIES = List.of(CARD, "4111 1111 1111 1111", SSN, "078051120",
      EMAIL);
  static final List<String> TABLES = List.of("proxies", "batches", "events", "flow_minute",
      "flow_hour", "flow_values", "value_sightings", "alerts", "alert_rules", "silences",
      "destinations", "sources", "rollup_minute", "rollup_hour", "hour_values");

  @TempDir
  Path dir;

  @Test
  void canariesReachNoTableApiAnswerMetricOrLog() throws Exception {
    List<String> proxyLines = proxyEvents();
    // The proxy's events carry each distinct value as its keyed hash and masked preview.
    assertThat(String.join("\n", proxyLines)).contains("credit_card").contains("\"evidence\"");

    PrintStream originalErr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    CommandConfig base = CommandPlaneTest.config(dir);
    // Alert rules that fire on this traffic, notifying a real webhook server.
    dev.custos.command.internal.alerts.WebhookReceiver hook =
        new dev.custos.command.internal.alerts.WebhookReceiver();
    CommandConfig cfg = new CommandConfig(base.host(), base.port(), base.database(),
        base.tokens(), base.apiTokens(), base.retention(), base.ingest(), base.oidc(),
        new AlertsConfig(java.time.Duration.ofHours(1), List.of(hook.webhook("canary",
            dir.resolve("canary.url"), 1)), List.of(
            new AlertsConfig.Rule("values", AlertsConfig.Kind.DISTINCT_VALUES,
                java.time.Duration.ofHours(1), java.time.Duration.ZERO, 1, 0, 0,
                AlertsConfig.GroupBy.ALL, "", "", "", List.of()),
            new AlertsConfig.Rule("edges", AlertsConfig.Kind.NEW_CATEGORY_ON_EDGE,
                java.time.Duration.ofMinutes(10), java.time.Duration.ofDays(1), 0, 0, 0,
                AlertsConfig.GroupBy.ALL, "", "", "", List.of()))));
    try (hook; CommandPlane plane = CommandPlane.builder(cfg).build()) {
      System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
      plane.start();
      WebClient client = WebClient.of("http://127.0.0.1:" + plane.activePort());

      assertThat(post(client, proxyLines).status()).isEqualTo(HttpStatus.ACCEPTED);
      String withUnknownFields = proxyLines.get(0).replaceFirst("\\{",
          "{\"raw\":\"" + CARD + "\",\"note\":{\"ssn\":\"" + SSN + "\"},");
      assertThat(post(client, List.of(withUnknownFields)).status())
          .isEqualTo(HttpStatus.ACCEPTED);
      AggregatedHttpResponse malformed = post(client, List.of(proxyLines.get(0)
          .replaceFirst("\"route\":\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement(
              "\"route\":\"" + EMAIL + "\\u0000\""))));
      assertThat(malformed.status()).isEqualTo(HttpStatus.BAD_REQUEST);
      AggregatedHttpResponse unmasked = post(client, List.of(TestEvents.line(
          java.time.Instant.now(), "orders", "", "request", "id", java.util.Map.of(
              "credit_card", 1), List.of("observe"), List.of(new TestEvents.Value("credit_card",
              "00112233445566778899aabbccddeeff", CARD)))));
      assertThat(unmasked.status()).isEqualTo(HttpStatus.BAD_REQUEST);

      StringBuilder everything = new StringBuilder(malformed.contentUtf8())
          .append(unmasked.contentUtf8());
      assertThat(plane.runAlerts().get("sent")).as("alerts sent").isPositive();
      everything.append(get(client, "/api/v1/alerts")).append(get(client,
          "/api/v1/alert-rules")).append(String.join("\n", hook.bodies()));
      everything.append(get(client, "/api/v1/flows?from=2000-01-01T00:00:00Z"))
          .append(get(client, "/api/v1/map"))
          .append(get(client, "/api/v1/heatmap?bucket=minute"))
          .append(get(client, "/api/v1/identities/top"))
          .append(get(client, "/api/v1/whoami"))
          // Canaries as parameters are not echoed, whether accepted or refused.
          .append(get(client, "/api/v1/events?route=" + CARD))
          .append(get(client, "/api/v1/events?identity_hash=" + EMAIL))
          .append(get(client, "/api/v1/events?action=" + SSN))
          .append(get(client, "/api/v1/policies"))
          .append(get(client, "/api/v1/configs"))
          .append(get(client, "/api/v1/rollouts"))
          .append(get(client, "/api/v1/proxies"))
          .append(client.get("/metrics").aggregate().join().contentUtf8());
      try (Connection c = java.sql.DriverManager.getConnection(cfg.database().url());
          Statement s = c.createStatement()) {
        for (String table : TABLES) {
          try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
              for (int i = 1; i <= md.getColumnCount(); i++) {
                everything.append(rs.getString(i)).append('\t');
              }
              everything.append('\n');
            }
          }
        }
        int sightings = 0;
        try (ResultSet rs = s.executeQuery("SELECT evidence_hash FROM value_sightings")) {
          while (rs.next()) {
            sightings++;
            everything.append(get(client, "/api/v1/lineage/" + rs.getString(1)));
          }
        }
        assertThat(sightings).as("values the proxy's events brought for lineage").isPositive();
      }
      String events = get(client, "/api/v1/events?limit=1000");
      assertThat(events).as("the findings list holds the proxy's events")
          .contains("credit_card").contains("\"identity_hash\"");
      everything.append(events);
      String all = everything.toString();
      assertThat(all).contains("credit_card").contains("flows");
      for (String canary : CANARIES) {
        assertThat(all).as("tables, API answers and metrics").doesNotContain(canary);
        assertThat(logs.toString(StandardCharsets.UTF_8)).as("logs").doesNotContain(canary);
      }
    } finally {
      System.setErr(originalErr);
    }
  }

  /** Returns the findings events a real inspecting proxy writes for canary traffic. */
  private List<String> proxyEvents() throws Exception {
    Path file = dir.resolve("findings.jsonl");
    Server upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).service("/echo", (ctx, req) -> HttpResponse.of(
        req.aggregate().thenApply(agg -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            agg.content())))).build();
    upstream.start().join();
    try (FindingsSink.Closeable sink = FindingsSink.jsonl(file)) {
      // Only the three categories planted: compiling the whole catalog is slow on a busy machine.
      java.util.Set<String> others = new java.util.TreeSet<>();
      for (dev.custos.engine.DetectorDefinition d : Policy.ofDefault().detectors()) {
        if (!List.of("credit_card", "us_ssn", "email").contains(d.category())) {
          others.add(d.category());
        }
      }
      Policy policy = Policy.parse("version: 1\ndisable: [" + String.join(", ", others)
          + "]\nrules:\n  - { name: r, categories: [credit_card, us_ssn, email],"
          + " action: redact }\n", "canary.yaml");
      Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA)
          .evidenceKey(EvidenceKey.of(new byte[32])).build();
      InspectionSettings settings = InspectionSettings.builder(scanner)
          .policy(policy)
          .findingsSink(sink).identityKey(EvidenceKey.of(new byte[32])).build();
      WebClient toUpstream = WebClient.of("http://127.0.0.1:" + upstream.activeLocalPort());
      Server proxy = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).serviceUnder("/",
          ((HttpService) (ctx, req) -> toUpstream.execute(req))
              .decorate(InspectionService.newDecorator(() -> settings))).build();
      proxy.start().join();
      try {
        WebClient client = WebClient.of(SessionProtocol.H2C,
            com.linecorp.armeria.client.Endpoint.of("127.0.0.1", proxy.activeLocalPort()));
        String body = "{\"card\":\"" + CARD + "\",\"ssn\":\"" + SSN + "\",\"mail\":\"" + EMAIL
            + "\"}";
        client.execute(HttpRequest.of(RequestHeaders.builder(HttpMethod.POST, "/echo?ssn=" + SSN)
            .contentType(MediaType.JSON_UTF_8).set("x-card", CARD).build(),
            HttpData.ofUtf8(body))).aggregate().join();
      } finally {
        proxy.stop().join();
      }
      await().until(() -> Files.exists(file) && !Files.readAllLines(file).isEmpty());
    } finally {
      upstream.stop().join();
    }
    return new ArrayList<>(Files.readAllLines(file));
  }

  private static AggregatedHttpResponse post(WebClient client, List<String> lines) {
    return client.execute(RequestHeaders.builder(HttpMethod.POST, "/api/v1/ingest/events")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.TOKEN)
        .set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson")
        .set(HttpHeaderNames.CONTENT_ENCODING, "gzip")
        .set("custos-proxy-id", "canary-proxy")
        .set("custos-batch-id", UUID.randomUUID().toString()).build(),
        HttpData.wrap(TestEvents.gzip(TestEvents.body(lines)))).aggregate().join();
  }

  private static String get(WebClient client, String path) {
    return client.execute(RequestHeaders.builder(HttpMethod.GET, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.API_TOKEN).build())
        .aggregate().join().contentUtf8();
  }
}
