package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The proxy runs every route through the inspection layer, with the configuration's policy. */
class InspectionInProxyTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  Path dir;

  private String config(String action) {
    return """
        listen: 127.0.0.1:0
        routes:
          - name: api
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: ssn rule, match: { direction: request }, categories: [us_ssn], action: %s }
        """.formatted(upstream.httpPort(), action);
  }

  @Test
  void theConfiguredPolicyBlocksAndAReloadSwapsIt() {
    try (ProxyFixture p = ProxyFixture.start(dir, config("block"))) {
      WebClient client = WebClient.of(p.http());
      HttpRequest req = HttpRequest.of(HttpMethod.POST, "/echo", MediaType.JSON_UTF_8,
          "{\"ssn\":\"078-05-1120\"}");
      AggregatedHttpResponse blocked = client.execute(req).aggregate().join();
      assertThat(blocked.status()).isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(blocked.contentUtf8()).isEqualTo("{\"error\":\"blocked\",\"rule\":\"ssn rule\"}");

      ProxyFixture.write(p.configFile, config("redact"));
      await().atMost(Duration.ofSeconds(20)).until(() ->
          p.proxy.config().policy().rules().get(0).action() == dev.custos.engine.Action.REDACT);
      AggregatedHttpResponse redacted = client.execute(HttpRequest.of(HttpMethod.POST, "/echo",
          MediaType.JSON_UTF_8, "{\"ssn\":\"078-05-1120\"}")).aggregate().join();
      assertThat(redacted.status()).isEqualTo(HttpStatus.OK);
      assertThat(redacted.contentUtf8()).contains("***-**-****").doesNotContain("078-05-1120");
      Counter findings = p.proxy.meterRegistry().find("custos.findings")
          .tags("route", "api", "category", "us_ssn", "action", "redact").counter();
      assertThat(findings).isNotNull();
    }
  }

  @Test
  void perIdentityBudgetsCountEachApiKeyApart() {
    String budgetConfig = """
        listen: 127.0.0.1:0
        routes:
          - name: api
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          identity:
            - { from: header, name: X-Api-Key }
            - { from: client_ip }
          rules:
            - name: two cards per caller
              match: { direction: request }
              categories: [credit_card]
              action: block
              when: { per_identity: { distinct_at_least: 3, window: 1h } }
        """.formatted(upstream.httpPort());
    try (ProxyFixture p = ProxyFixture.start(dir, budgetConfig)) {
      WebClient client = WebClient.of(p.http());
      String[] cards = {"4111 1111 1111 1111", "5500 0000 0000 0004", "3400 000000 00009"};
      assertThat(send(client, "key-alice", cards[0])).isEqualTo(HttpStatus.OK);
      assertThat(send(client, "key-alice", cards[1])).isEqualTo(HttpStatus.OK);
      assertThat(send(client, "key-alice", cards[2])).isEqualTo(HttpStatus.FORBIDDEN);
      // Another caller has a budget of its own; a card already counted for alice is not new.
      assertThat(send(client, "key-bob", cards[2])).isEqualTo(HttpStatus.OK);
      assertThat(send(client, "key-alice", cards[0])).isEqualTo(HttpStatus.OK);
    }
  }

  @Test
  void aRouteWithInspectionOffForwardsUntouchedAndRecordsNothing() {
    String config = """
        listen: 127.0.0.1:0
        routes:
          - name: health
            match: { prefix: /echo/health }
            cluster: u
            inspection: { enabled: false }
          - name: api
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: ssn rule, match: { direction: request }, categories: [us_ssn], action: block }
        """.formatted(upstream.httpPort());
    try (ProxyFixture p = ProxyFixture.start(dir, config)) {
      WebClient client = WebClient.of(p.http());
      AggregatedHttpResponse passed = client.execute(HttpRequest.of(HttpMethod.POST,
          "/echo/health", MediaType.JSON_UTF_8, "{\"ssn\":\"078-05-1120\"}")).aggregate().join();
      assertThat(passed.status()).isEqualTo(HttpStatus.OK);
      assertThat(passed.contentUtf8()).contains("078-05-1120");
      assertThat(p.proxy.meterRegistry().find("custos.findings").tags("route", "health")
          .counters()).isEmpty();

      AggregatedHttpResponse blocked = client.execute(HttpRequest.of(HttpMethod.POST,
          "/echo/api", MediaType.JSON_UTF_8, "{\"ssn\":\"078-05-1120\"}")).aggregate().join();
      assertThat(blocked.status()).isEqualTo(HttpStatus.FORBIDDEN);
    }
  }

  private static HttpStatus send(WebClient client, String apiKey, String card) {
    HttpRequest req = HttpRequest.of(
        com.linecorp.armeria.common.RequestHeaders.builder(HttpMethod.POST, "/echo")
            .contentType(MediaType.JSON_UTF_8).add("x-api-key", apiKey).build(),
        com.linecorp.armeria.common.HttpData.ofUtf8("{\"card\":\"" + card + "\"}"));
    return client.execute(req).aggregate().join().status();
  }
}
