package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.internal.BossGroups;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 11: with {@code tracing:} one OpenTelemetry server span per request goes to an
 * OTLP/HTTP receiver, in the trace of the incoming {@code traceparent} and with the span id sent
 * upstream; without it nothing is exported.
 */
class TracingTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  /** An OTLP/HTTP receiver: keeps each POST /v1/traces body and its content type. */
  @RegisterExtension
  static final ServerExtension collector = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.service("/v1/traces", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        contentTypes.add(String.valueOf(agg.contentType()));
        bodies.add(agg.content().array());
        return HttpResponse.of(HttpStatus.OK, MediaType.parse("application/x-protobuf"),
            new byte[0]);
      })));
    }
  };

  static final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  static final List<String> contentTypes = new CopyOnWriteArrayList<>();

  private static final String KEY = "alice-key-0123456789";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_ID = "00f067aa0ba902b7";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + PARENT_ID + "-01";

  @TempDir
  Path dir;

  @BeforeEach
  void clear() {
    bodies.clear();
    contentTypes.clear();
  }

  private static String config(String tracing) throws Exception {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        %s
        authn:
          api_keys:
            keys:
              - { name: alice, sha256: %s, routes: ["*"] }
        routes:
          - name: api
            match: { prefix: / }
            cluster: u
            authn: { require: [api_key] }
            authz:
              rules:
                - action: allow
                  to: { methods: [GET] }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: cards, match: { direction: request }, categories: [credit_card], action: redact }
        """.formatted(tracing, AuthenticationTest.sha256(KEY), upstream.httpPort());
  }

  private static String tracing(double ratio) {
    return "tracing: { otlp_endpoint: \"http://127.0.0.1:" + collector.httpPort()
        + "/v1/traces\", service_name: custos-test, sample_ratio: " + ratio + " }";
  }

  private static JsonNode send(ProxyFixture p, String traceparent) throws Exception {
    com.linecorp.armeria.common.RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, "/echo?card=x")
        .add("x-api-key", KEY).add("x-secret", "header-value-secret");
    if (traceparent != null) {
      h.add("traceparent", traceparent);
    }
    String body = WebClient.of(p.http()).execute(h.build()).aggregate().join().contentUtf8();
    return Upstream.JSON.readTree(body);
  }

  private static String all() {
    StringBuilder sb = new StringBuilder();
    for (byte[] b : bodies) {
      sb.append(new String(b, StandardCharsets.ISO_8859_1));
    }
    return sb.toString();
  }

  private static String bytes(String hex) {
    return new String(HexFormat.of().parseHex(hex), StandardCharsets.ISO_8859_1);
  }

  @Test
  void aProxiedRequestIsExportedAsAServerSpanInTheCallersTrace() throws Exception {
    String sent;
    try (ProxyFixture p = ProxyFixture.start(dir, config(tracing(1.0)))) {
      assertThat(p.proxy.config().tracing()).isPresent();
      JsonNode echoed = send(p, TRACEPARENT);
      sent = echoed.get("headers").get("traceparent").asText();
    } // stopping the proxy flushes the batch
    assertThat(sent).startsWith("00-" + TRACE_ID + "-").endsWith("-01");
    String spanId = sent.substring(36, 52);
    assertThat(spanId).isNotEqualTo(PARENT_ID);

    assertThat(bodies).isNotEmpty();
    assertThat(contentTypes).allMatch(c -> c.startsWith("application/x-protobuf"));
    String exported = all();
    assertThat(exported).contains(bytes(TRACE_ID)).contains(bytes(spanId))
        .contains(bytes(PARENT_ID))
        .contains("custos-test", "http.request.method", "url.path", "/echo",
            "http.response.status_code", "custos.route", "custos.identity", "custos.authz",
            "allow:0", "custos.findings")
        .doesNotContain(KEY).doesNotContain("header-value-secret").doesNotContain("card=x")
        .doesNotContain("x-secret");
  }

  @Test
  void aNewTraceIsExportedWithTheIdsSentUpstreamAndASampleRatioOfZeroExportsNone()
      throws Exception {
    String sent;
    try (ProxyFixture p = ProxyFixture.start(dir, config(tracing(1.0)))) {
      sent = send(p, null).get("headers").get("traceparent").asText();
    }
    // Sampled (01), and the SDK may add W3C level 2's random-trace-id flag (02).
    assertThat(sent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]");
    assertThat(all()).contains(bytes(sent.substring(3, 35))).contains(bytes(sent.substring(36, 52)));

    bodies.clear();
    try (ProxyFixture p = ProxyFixture.start(dir, config(tracing(0.0)))) {
      sent = send(p, null).get("headers").get("traceparent").asText();
    }
    assertThat(sent).matches(".*-0[02]"); // not sampled
    assertThat(bodies).isEmpty();
  }

  @Test
  void withoutTracingNothingIsExported() throws Exception {
    String sent;
    try (ProxyFixture p = ProxyFixture.start(dir, config(""))) {
      assertThat(p.proxy.config().tracing()).isEmpty();
      sent = send(p, TRACEPARENT).get("headers").get("traceparent").asText();
    }
    assertThat(sent).startsWith("00-" + TRACE_ID + "-");
    assertThat(bodies).isEmpty();
  }

  private JsonNode sendThrough(java.util.Map<String, String> env, String tracing)
      throws Exception {
    java.nio.file.Path file = ProxyFixture.write(dir.resolve("custos.yaml"), config(tracing));
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file)).watch(false)
        .environment(env).build().start();
    try {
      com.linecorp.armeria.common.RequestHeaders h = RequestHeaders.builder(HttpMethod.GET,
          "/echo").add("x-api-key", KEY).add("traceparent", TRACEPARENT).build();
      return Upstream.JSON.readTree(WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort())
          .execute(h).aggregate().join().contentUtf8());
    } finally {
      proxy.close(); // flushes the batch
    }
  }

  @Test
  void theOtelEnvironmentTurnsTracingOnWithoutATracingKey() throws Exception {
    sendThrough(java.util.Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.httpPort(),
        "OTEL_SERVICE_NAME", "custos-from-env",
        "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging"), "");
    assertThat(contentTypes).isNotEmpty().allMatch(c -> c.startsWith("application/x-protobuf"));
    assertThat(all()).contains(bytes(TRACE_ID), "custos-from-env", "deployment.environment",
        "staging", "custos.route");
  }

  @Test
  void theOtelEnvironmentOverridesTheTracingKey() throws Exception {
    sendThrough(java.util.Map.of("OTEL_SERVICE_NAME", "custos-renamed"), tracing(1.0));
    assertThat(all()).contains(bytes(TRACE_ID), "custos-renamed").doesNotContain("custos-test");
  }

  @Test
  void otelSdkDisabledTurnsTracingOff() throws Exception {
    JsonNode echoed = sendThrough(java.util.Map.of("OTEL_SDK_DISABLED", "true"), tracing(1.0));
    assertThat(echoed.get("headers").get("traceparent").asText())
        .startsWith("00-" + TRACE_ID + "-");
    assertThat(bodies).isEmpty();
  }

  @Test
  void theTracingKeyIsChecked() throws Exception {
    ProxyConfig c = ProxyConfig.parse(config(
        "tracing: { otlp_endpoint: \"http://collector:4318/v1/traces\" }"), "t.yaml", dir);
    ProxyConfig.Tracing t = c.tracing().orElseThrow();
    assertThat(t.otlpEndpoint().toString()).isEqualTo("http://collector:4318/v1/traces");
    assertThat(t.serviceName()).isEqualTo("custos");
    assertThat(t.sampleRatio()).isEqualTo(1.0);
    assertThatThrownBy(() -> ProxyConfig.parse(config(
        "tracing: { otlp_endpoint: \"collector:4318\" }"), "t.yaml", dir))
        .isInstanceOf(ConfigException.class).hasMessageContaining("otlp_endpoint");
    assertThatThrownBy(() -> ProxyConfig.parse(config(
        "tracing: { otlp_endpoint: \"http://c/v1/traces\", sample_ratio: 2 }"), "t.yaml", dir))
        .isInstanceOf(ConfigException.class).hasMessageContaining("sample_ratio");
  }
}
