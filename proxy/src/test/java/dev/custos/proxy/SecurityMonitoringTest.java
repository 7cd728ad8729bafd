package dev.custos.proxy;

import static dev.custos.proxy.JsonLinesFile.awaitLines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 11 (NIST SP 800-204 MS-SS-5): the access log carries the caller's identity hash,
 * route, authentication outcome, authorization decision, the limit that refused, status, latency
 * and trace id, never a credential; W3C {@code traceparent} is continued or started upstream.
 */
class SecurityMonitoringTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  private static final String KEY = "alice-key-0123456789";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

  @TempDir
  Path dir;

  private String config() throws Exception {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        access_log: { file: access.jsonl }
        authn:
          api_keys:
            keys:
              - { name: alice, sha256: %s, routes: ["*"] }
        routes:
          - name: secured
            match: { prefix: /echo/secured }
            cluster: u
            authn: { require: [api_key] }
            authz:
              rules:
                - action: allow
                  to: { methods: [GET] }
            limits:
              - { name: per_route, key: route, requests: 1, per: 1m, burst: 2 }
          - name: open
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: cards, match: { direction: response }, categories: [credit_card], action: redact }
        """.formatted(AuthenticationTest.sha256(KEY), upstream.httpPort());
  }

  private static AggregatedHttpResponse send(ProxyFixture p, HttpMethod method, String path,
      Map<String, String> headers) {
    RequestHeadersBuilder h = RequestHeaders.builder(method, path);
    headers.forEach(h::add);
    return WebClient.of(p.http()).execute(h.build()).aggregate().join();
  }

  @Test
  void theAccessLogCarriesEachSecurityDecisionAndTheTraceIdButNoCredential() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config())) {
      Map<String, String> alice = Map.of("x-api-key", KEY, "traceparent", TRACEPARENT);
      assertThat(send(p, HttpMethod.GET, "/echo/secured", alice).status())
          .isEqualTo(HttpStatus.OK);
      assertThat(send(p, HttpMethod.GET, "/echo/secured", Map.of("x-api-key", "wrong-key-01234"))
          .status()).isEqualTo(HttpStatus.UNAUTHORIZED);
      assertThat(send(p, HttpMethod.POST, "/echo/secured", alice).status())
          .isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(send(p, HttpMethod.GET, "/echo/secured", alice).status())
          .isEqualTo(HttpStatus.OK);
      assertThat(send(p, HttpMethod.GET, "/echo/secured", alice).status())
          .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);

      List<JsonNode> lines = awaitLines(dir.resolve("access.jsonl"), 5);
      JsonNode ok = lines.get(0);
      assertThat(ok.get("route").asText()).isEqualTo("secured");
      assertThat(ok.get("status").asInt()).isEqualTo(200);
      assertThat(ok.get("duration_ms").asDouble()).isPositive();
      assertThat(ok.get("identity_hash").asText()).matches("[0-9a-f]{16}");
      assertThat(ok.get("authn").asText()).isEqualTo("api_key");
      assertThat(ok.get("authz").asText()).isEqualTo("allow:0");
      assertThat(ok.has("limit")).isFalse();
      assertThat(ok.get("trace_id").asText()).isEqualTo(TRACE_ID);

      JsonNode refused = lines.get(1);
      assertThat(refused.get("status").asInt()).isEqualTo(401);
      assertThat(refused.get("authn").asText()).startsWith("refused:");
      assertThat(refused.has("authz")).isFalse();
      assertThat(refused.get("trace_id").asText()).matches("[0-9a-f]{32}")
          .isNotEqualTo(TRACE_ID);

      JsonNode denied = lines.get(2);
      assertThat(denied.get("status").asInt()).isEqualTo(403);
      assertThat(denied.get("authn").asText()).isEqualTo("api_key");
      assertThat(denied.get("authz").asText()).isEqualTo("deny:default");

      JsonNode limited = lines.get(4);
      assertThat(limited.get("status").asInt()).isEqualTo(429);
      assertThat(limited.get("limit").asText()).isEqualTo("per_route");
      assertThat(limited.get("authz").asText()).isEqualTo("allow:0");

      MeterRegistry m = p.proxy.meterRegistry();
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
          m.get("custos.request.duration").tag("route", "secured").timer().count())
          .isEqualTo(5));
      assertThat(m.get("custos.traces").tag("outcome", "continued").counter().count())
          .isEqualTo(4);
      assertThat(m.get("custos.traces").tag("outcome", "started").counter().count())
          .isEqualTo(1);
      assertThat(m.get("custos.authz.decisions").tag("decision", "deny").counter().count())
          .isEqualTo(1);
      assertThat(m.get("custos.rate.limited").tag("limit", "per_route").counter().count())
          .isEqualTo(1);

      String all = String.join("\n", Files.readAllLines(dir.resolve("access.jsonl")));
      assertThat(all).doesNotContain(KEY).doesNotContain("wrong-key-01234")
          .doesNotContain("00f067aa0ba902b7");
    }
  }

  @Test
  void aValidTraceparentIsContinuedWithTheProxyAsParentAndTracestateKept() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config())) {
      JsonNode echoed = Upstream.JSON.readTree(send(p, HttpMethod.GET, "/echo/open",
          Map.of("traceparent", TRACEPARENT, "tracestate", "vendor=abc")).contentUtf8());
      String sent = echoed.get("headers").get("traceparent").asText();
      assertThat(sent).matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01");
      assertThat(sent.substring(36, 52)).isNotEqualTo("00f067aa0ba902b7")
          .isNotEqualTo("0000000000000000");
      assertThat(echoed.get("headers").get("tracestate").asText()).isEqualTo("vendor=abc");
    }
  }

  @Test
  void anInvalidOrMissingTraceparentIsReplacedByANewTrace() throws Exception {
    try (ProxyFixture p = ProxyFixture.start(dir, config())) {
      List<String> invalid = List.of(
          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
          "00-" + TRACE_ID + "-0000000000000000-01",
          "00-" + TRACE_ID.toUpperCase() + "-00f067aa0ba902b7-01",
          "ff-" + TRACE_ID + "-00f067aa0ba902b7-01",
          "00-" + TRACE_ID + "-00f067aa0ba902b7-01-extra",
          "garbage");
      for (String bad : invalid) {
        JsonNode echoed = Upstream.JSON.readTree(send(p, HttpMethod.GET, "/echo/open",
            Map.of("traceparent", bad, "tracestate", "vendor=abc")).contentUtf8());
        String sent = echoed.get("headers").get("traceparent").asText();
        assertThat(sent).as(bad).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")
            .doesNotContain(TRACE_ID.substring(0, 16))
            .doesNotContain("00000000000000000000000000000000");
        assertThat(echoed.get("headers").has("tracestate")).as(bad).isFalse();
      }
      JsonNode none = Upstream.JSON.readTree(
          send(p, HttpMethod.GET, "/echo/open", Map.of()).contentUtf8());
      assertThat(none.get("headers").get("traceparent").asText())
          .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
      // A later version with extra fields is read by its first four.
      JsonNode future = Upstream.JSON.readTree(send(p, HttpMethod.GET, "/echo/open",
          Map.of("traceparent", "01-" + TRACE_ID + "-00f067aa0ba902b7-01-more")).contentUtf8());
      assertThat(future.get("headers").get("traceparent").asText())
          .startsWith("00-" + TRACE_ID + "-");
    }
  }
}
