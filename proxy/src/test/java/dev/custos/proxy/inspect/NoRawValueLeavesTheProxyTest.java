package dev.custos.proxy.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.InspectionService;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plants canary values in bodies, headers and query strings (also as JSON keys and a query
 * parameter name, which finding paths and locations would otherwise carry), runs them through
 * every action, and looks for them in the log output, the Prometheus scrape and the JSONL findings
 * file.
 */
class NoRawValueLeavesTheProxyTest {
  static final String CARD = "4111111111111111";
  static final String SSN = "078-05-1120";
  static final String EMAIL = "jane.canary@example.com";
  static final List<String> CANARIES =
      List.of(CARD, "4111 1111 1111 1111", SSN, "078051120", EMAIL);
  static final AtomicReference<InspectionSettings> settings = new AtomicReference<>();
  static final AtomicInteger served = new AtomicInteger();

  @RegisterExtension
  @Order(1)
  static final ServerExtension upstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.service("/echo", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg ->
          HttpResponse.of(HttpStatus.OK,
              agg.contentType() != null ? agg.contentType() : MediaType.PLAIN_TEXT_UTF_8,
              agg.content()))));
      sb.service("/gzip", (ctx, req) -> HttpResponse.of(
          ResponseHeaders.builder(HttpStatus.OK).contentType(MediaType.JSON_UTF_8)
              .set(HttpHeaderNames.CONTENT_ENCODING, "gzip").build(),
          HttpData.wrap(InspectionServiceTest.gzip(("{\"card\":\"" + CARD + "\",\"mail\":\""
              + EMAIL + "\"}").getBytes(StandardCharsets.UTF_8)))));
    }
  };

  @RegisterExtension
  @Order(2)
  static final ServerExtension proxy = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      WebClient toUpstream = WebClient.of(upstream.uri(SessionProtocol.H2C));
      sb.serviceUnder("/", ((HttpService) (ctx, req) -> toUpstream.execute(req))
          .decorate(InspectionService.newDecorator(settings::get)));
      sb.decorator((delegate, ctx, req) -> {
        served.incrementAndGet();
        return delegate.serve(ctx, req);
      });
    }
  };

  @Test
  void canariesAppearInNoLogMetricOrEvent(@TempDir Path dir) throws Exception {
    EvidenceKey key = EvidenceKey.of(new byte[32]);
    Scanner scanner = InspectionServiceTest.SCANNER; // compiled once per test JVM
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Path file = dir.resolve("findings.jsonl");
    String[] policies = {
        "rules:\n  - { name: o, categories: [credit_card, us_ssn, email], action: observe }\n",
        "rules:\n  - { name: a, categories: [credit_card, us_ssn, email], action: alert }\n",
        "rules:\n  - { name: r, categories: [credit_card, us_ssn], action: redact,"
            + " redact: { style: hash } }\n",
        "rules:\n  - { name: b, categories: [us_ssn], action: block }\n",
        "rules:\n  - { name: b, categories: [us_ssn], action: block }\n"
            + "  - { name: r, categories: [credit_card], action: redact }\nenforce: false\n",
        "rules:\n  - { name: late, match: { direction: response }, categories: [credit_card],"
            + " action: block }\non_uninspectable: allow\n",
    };
    PrintStream originalErr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    try (FindingsSink.Closeable sink = FindingsSink.jsonl(file)) {
      System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
      for (String yaml : policies) {
        settings.set(InspectionSettings.builder(scanner)
            .policy(Policy.parse("version: 1\n" + yaml, "canary.yaml"))
            .meterRegistry(registry).findingsSink(sink).identityKey(key)
            .maxInspectedBody(64).build());
        WebClient client = WebClient.of(proxy.uri(SessionProtocol.H2C));
        String body = "{\"card\":\"" + CARD + "\",\"ssn\":\"" + SSN + "\",\"mail\":\""
            + EMAIL + "\",\"pad\":\"" + "x".repeat(200) + "\"}";
        client.execute(HttpRequest.of(
            RequestHeaders.builder(HttpMethod.POST, "/echo?ssn=" + SSN + "&mail=" + EMAIL)
                .contentType(MediaType.JSON_UTF_8).set("x-card", CARD).build(),
            HttpData.ofUtf8(body))).aggregate().handle((r, t) -> null).join();
        client.get("/gzip").aggregate().handle((r, t) -> null).join();
        // Planted values as JSON keys and a query parameter name: finding paths and locations
        // name where a finding was, and a name that could be a value must not reach any sink.
        String keyed = "{\"accounts\":{\"" + CARD + "\":{\"ssn\":\"" + SSN + "\"},\"" + EMAIL
            + "\":{\"card\":\"4111 1111 1111 1111\"},\"078051120\":{\"mail\":\"" + EMAIL + "\"}}}";
        client.execute(HttpRequest.of(
            RequestHeaders.builder(HttpMethod.POST, "/echo?" + EMAIL + "=" + SSN)
                .contentType(MediaType.JSON_UTF_8).build(),
            HttpData.ofUtf8(keyed))).aggregate().handle((r, t) -> null).join();
      }
      await().until(() -> Files.exists(file) && Files.readAllLines(file).size() >= 8);
    } finally {
      System.setErr(originalErr);
    }

    String events = Files.readString(file);
    String scrape = registry.scrape();
    String log = logs.toString(StandardCharsets.UTF_8);
    assertThat(events).contains("credit_card").contains("header:x-card").contains("query:ssn")
        .contains("\"paths\"").contains("$.accounts[*].ssn").contains("$.accounts[*].card")
        .contains("query:[*]");
    assertThat(scrape).contains("custos_findings_total").contains("custos_inspection_seconds");
    for (String canary : CANARIES) {
      assertThat(events).as("findings events").doesNotContain(canary);
      assertThat(scrape).as("metrics").doesNotContain(canary);
      assertThat(log).as("logs").doesNotContain(canary);
    }
    assertThat(served).as("exchanges the proxy served").hasValue(3 * policies.length);
  }
}
