package dev.custos.proxy;

import static dev.custos.proxy.JsonLinesFile.awaitLines;
import static dev.custos.proxy.JsonLinesFile.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's telemetry: the access log and the findings file (JSON lines, never a value), the
 * inspection limits of custos.yaml, and the Prometheus names on the admin server's /metrics.
 */
class TelemetryTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  private static final String CARD = "4111111111111111";
  private static final String SSN = "078-05-1120";

  @TempDir
  Path dir;

  private String config(String extra) {
    return """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        %s
        routes:
          - name: guarded
            match: { prefix: /guarded }
            cluster: u
            inspection: { max_inspected_body: 1KiB }
          - name: plain
            match: { prefix: /plain }
            cluster: u
            inspection: { skip_media_types: [text/plain] }
          - name: api
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: cards, match: { direction: response }, categories: [credit_card], action: redact }
            - name: no ssn
              match: { direction: request, paths: ["/guarded/**", "/plain/**"] }
              categories: [us_ssn]
              action: block
        """.formatted(extra, upstream.httpPort());
  }

  @Test
  void digitRunsInThePathAreMaskedInTheAccessLog() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config("access_log: { file: paths.jsonl }"))) {
      WebClient.of(p.http()).get("/echo/cards/" + CARD + "/v2").aggregate().join();
      JsonNode line = awaitLines(dir.resolve("paths.jsonl"), 1).get(0);
      assertThat(line.get("path").asText()).isEqualTo("/echo/cards/#/v2");
    }
  }

  @Test
  void theAccessLogDescribesEachRequestWithoutValuesQueriesOrHeaderValues() throws Exception {
    String extra = """
        access_log: { file: access.jsonl }
        findings: { file: events.jsonl }""";
    try (ProxyFixture p = ProxyFixture.start(dir, config(extra))) {
      WebClient client = WebClient.of(p.http());
      String body = "{\"card\":\"" + CARD + "\"}";
      AggregatedHttpResponse res = client.execute(HttpRequest.of(
          RequestHeaders.builder(HttpMethod.POST, "/echo/orders?token=query-secret-xyz")
              .contentType(MediaType.JSON_UTF_8).add("x-note", "header-secret-abc").build(),
          HttpData.ofUtf8(body))).aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.OK);
      assertThat(res.contentUtf8()).doesNotContain(CARD);

      List<JsonNode> lines = awaitLines(dir.resolve("access.jsonl"), 1);
      JsonNode line = lines.get(0);
      assertThat(line.get("route").asText()).isEqualTo("api");
      assertThat(line.get("method").asText()).isEqualTo("POST");
      assertThat(line.get("path").asText()).isEqualTo("/echo/orders");
      assertThat(line.get("status").asInt()).isEqualTo(200);
      assertThat(line.get("duration_ms").asDouble()).isPositive();
      assertThat(line.get("request_bytes").asLong()).isEqualTo(body.length());
      assertThat(line.get("response_bytes").asLong()).isEqualTo(res.content().length());
      assertThat(line.get("upstream").asText()).isEqualTo("127.0.0.1:" + upstream.httpPort());
      assertThat(line.get("time").asText()).endsWith("Z");
      assertThat(line.get("identity_hash").asText()).matches("[0-9a-f]{16}");
      JsonNode findings = line.get("findings");
      assertThat(findings.get("categories").get("credit_card").asInt()).isPositive();
      assertThat(findings.get("actions").toString()).contains("redact");
      assertThat(findings.get("rules").toString()).contains("cards");
      assertThat(findings.get("shadow").asBoolean()).isFalse();

      List<JsonNode> events = awaitLines(dir.resolve("events.jsonl"), 1);
      assertThat(events).anySatisfy(e -> {
        assertThat(e.get("direction").asText()).isEqualTo("response");
        assertThat(e.get("identity_hash").asText()).isEqualTo(line.get("identity_hash").asText());
      });

      String all = Files.readString(dir.resolve("access.jsonl"))
          + Files.readString(dir.resolve("events.jsonl"));
      assertThat(all).doesNotContain(CARD).doesNotContain("query-secret-xyz")
          .doesNotContain("token=").doesNotContain("header-secret-abc");
    }
  }

  @Test
  void aBlockedRequestIsLoggedWithItsRuleAndNoUpstream() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config("access_log: { file: access.jsonl }"))) {
      AggregatedHttpResponse res = WebClient.of(p.http()).execute(HttpRequest.of(HttpMethod.POST,
          "/guarded/x", MediaType.JSON_UTF_8, "{\"ssn\":\"" + SSN + "\"}")).aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);

      JsonNode line = awaitLines(dir.resolve("access.jsonl"), 1).get(0);
      assertThat(line.get("status").asInt()).isEqualTo(403);
      assertThat(line.has("upstream")).isFalse();
      assertThat(line.get("findings").get("blocked_by").asText()).isEqualTo("no ssn");
      assertThat(line.get("findings").get("categories").get("us_ssn").asInt()).isEqualTo(1);
      assertThat(Files.readString(dir.resolve("access.jsonl"))).doesNotContain(SSN);
    }
  }

  @Test
  void aShadowBlockIsLoggedAsWouldHaveBlockedAndNotAsBlocked() throws Exception {
    String shadow = config("access_log: { file: access.jsonl }") + "  enforce: false\n";
    try (ProxyFixture p = ProxyFixture.start(dir, shadow)) {
      AggregatedHttpResponse res = WebClient.of(p.http()).execute(HttpRequest.of(HttpMethod.POST,
          "/guarded/x", MediaType.JSON_UTF_8, "{\"ssn\":\"" + SSN + "\"}")).aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.OK);

      JsonNode line = awaitLines(dir.resolve("access.jsonl"), 1).get(0);
      JsonNode findings = line.get("findings");
      assertThat(line.get("status").asInt()).isEqualTo(200);
      assertThat(findings.get("shadow").asBoolean()).isTrue();
      assertThat(findings.has("blocked_by")).isFalse();
      assertThat(findings.get("would_have_blocked_by").asText()).isEqualTo("no ssn");
      assertThat(findings.get("actions").toString()).contains("would_block");
    }
  }

  @Test
  void findingsGoToFindingsJsonlBesideTheConfigurationByDefault() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config(""))) {
      WebClient.of(p.http()).execute(HttpRequest.of(HttpMethod.POST, "/echo",
          MediaType.JSON_UTF_8, "{\"card\":\"" + CARD + "\"}")).aggregate().join();
      List<JsonNode> events = awaitLines(dir.resolve("findings.jsonl"), 1);
      assertThat(events.get(0).get("categories").get("credit_card").asInt()).isPositive();
      assertThat(Files.exists(dir.resolve("access.jsonl"))).isFalse();
    }
  }

  @Test
  void aRouteInspectionLimitReplacesTheTopLevelOne() {
    try (ProxyFixture p = ProxyFixture.start(dir, config("findings: { file: off }"))) {
      WebClient client = WebClient.of(p.http());
      String large = "{\"text\":\"" + "a".repeat(4096) + "\"}";
      // 4 KiB without findings: past the route's 1 KiB hold, on_uninspectable blocks.
      assertThat(post(client, "/guarded/x", MediaType.JSON_UTF_8, large))
          .isEqualTo(HttpStatus.FORBIDDEN);
      // The same body on a route under the top-level 8 MiB passes.
      assertThat(post(client, "/plain/x", MediaType.JSON_UTF_8, large)).isEqualTo(HttpStatus.OK);
      // skip_media_types of the plain route lists text/plain, but a body is skipped only when it
      // starts with its format's signature; plain text has none, so it is scanned like JSON.
      assertThat(post(client, "/plain/x", MediaType.PLAIN_TEXT_UTF_8, "ssn " + SSN))
          .isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(post(client, "/plain/x", MediaType.JSON_UTF_8, "{\"ssn\":\"" + SSN + "\"}"))
          .isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(p.proxy.config().inspection().maxInspectedBody()).isEqualTo(8L << 20);
    }
  }

  @Test
  void aReloadAppliesNewLimitsAndMovesTheAccessLog() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config("access_log: { file: first.jsonl }"))) {
      WebClient client = WebClient.of(p.http());
      String large = "{\"text\":\"" + "a".repeat(4096) + "\"}";
      assertThat(post(client, "/plain/x", MediaType.JSON_UTF_8, large)).isEqualTo(HttpStatus.OK);
      awaitLines(dir.resolve("first.jsonl"), 1);

      ProxyFixture.write(p.configFile, config("""
          access_log: { file: second.jsonl }
          inspection: { max_inspected_body: 2KiB, max_decoded_body: 1MiB, max_decode_ratio: 20 }"""));
      await().atMost(Duration.ofSeconds(20))
          .until(() -> p.proxy.config().inspection().maxInspectedBody() == 2048);
      assertThat(p.proxy.config().inspection().maxDecodeRatio()).isEqualTo(20);
      assertThat(post(client, "/plain/x", MediaType.JSON_UTF_8, large))
          .isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(awaitLines(dir.resolve("second.jsonl"), 1).get(0).get("status").asInt())
          .isEqualTo(403);
      assertThat(lines(dir.resolve("first.jsonl"))).hasSize(1);
    }
  }

  @Test
  void theMetricsHaveTheirPrometheusNamesOnTheAdminServer() {
    try (ProxyFixture p = ProxyFixture.start(dir, config("findings: { file: off }"))) {
      WebClient client = WebClient.of(p.http());
      assertThat(post(client, "/echo", MediaType.JSON_UTF_8, "{\"card\":\"" + CARD + "\"}"))
          .isEqualTo(HttpStatus.OK);
      assertThat(post(client, "/guarded/x", MediaType.JSON_UTF_8, "{\"ssn\":\"" + SSN + "\"}"))
          .isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(post(client, "/guarded/x", MediaType.JSON_UTF_8,
          "{\"text\":\"" + "a".repeat(4096) + "\"}")).isEqualTo(HttpStatus.FORBIDDEN);

      String metrics = WebClient.of(p.admin()).get("/metrics").aggregate().join().contentUtf8();
      assertThat(metrics)
          .containsPattern("(?m)^custos_requests_total\\{.*route=\"api\".*status=\"200\".*\\} 1")
          .containsPattern("(?m)^custos_findings_total\\{(?=.*action=\"redact\")"
              + "(?=.*category=\"credit_card\")(?=.*direction=\"response\")(?=.*route=\"api\")")
          .containsPattern("(?m)^custos_blocked_total\\{.*route=\"guarded\".*\\} 2")
          .containsPattern("(?m)^custos_redactions_total\\{.*category=\"credit_card\"")
          .containsPattern("(?m)^custos_inspected_bytes_total\\{.*route=\"api\"")
          .containsPattern("(?m)^custos_inspection_seconds_bucket\\{.*le=\"")
          .containsPattern("(?m)^custos_inspection_seconds_count\\{")
          .containsPattern("(?m)^custos_uninspectable_total\\{.*reason=\"")
          .containsPattern("(?m)^custos_config_reloads_total\\{result=\"success\"\\}")
          .containsPattern("(?m)^custos_access_log_dropped_total ");
      assertThat(metrics).doesNotContain(CARD).doesNotContain(SSN);
    }
  }

  private static HttpStatus post(WebClient client, String path, MediaType type, String body) {
    return client.execute(HttpRequest.of(HttpMethod.POST, path, type, body)).aggregate().join()
        .status();
  }
}
