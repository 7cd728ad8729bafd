package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import dev.custos.engine.config.ConfigException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 5 (NIST SP 800-204 MS-SS-6): the per-cluster circuit breaker, per-route timeouts,
 * bounded retries of idempotent requests with a retry budget, and the per-cluster concurrency
 * limit, driven through the real proxy with real clients and upstreams.
 */
class ResilienceTest {
  @RegisterExtension
  static final ControlledUpstream up = new ControlledUpstream("up");

  @TempDir
  Path dir;

  @AfterEach
  void reset() {
    up.reset();
  }

  private ProxyFixture proxy(String cluster) {
    return proxy(cluster, "30s");
  }

  private ProxyFixture proxy(String cluster, String timeout) {
    return ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: c
            timeout: %s
        clusters:
          c:
            endpoints: ["127.0.0.1:%d"]
        %s
        """.formatted(timeout, up.httpPort(), cluster.indent(4)));
  }

  private static double counter(CustosProxy proxy, String name, String... tags) {
    Counter c = proxy.meterRegistry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private static double gauge(CustosProxy proxy, String name, String... tags) {
    Gauge g = proxy.meterRegistry().find(name).tags(tags).gauge();
    return g == null ? Double.NaN : g.value();
  }

  private static void assertJsonError(AggregatedHttpResponse r, int status, String error)
      throws Exception {
    assertThat(r.status().code()).isEqualTo(status);
    JsonNode body = Upstream.JSON.readTree(r.contentUtf8());
    assertThat(body.get("error").asText()).isEqualTo(error);
    assertThat(body.get("status").asInt()).isEqualTo(status);
  }

  @Test
  void theBreakerOpensAfterConsecutiveFailuresFailsFastAndAHalfOpenTrialClosesIt()
      throws Exception {
    up.status.set(HttpStatus.INTERNAL_SERVER_ERROR);
    try (ProxyFixture p = proxy("""
        circuit_breaker: { consecutive_failures: 3, minimum_requests: 1000, open_for: 500ms, trial_interval: 100ms }
        """)) {
      WebClient client = WebClient.of(p.http());
      for (int i = 0; i < 3; i++) {
        assertThat(client.get("/x").aggregate().join().status().code()).isEqualTo(500);
      }
      for (int i = 0; i < 5; i++) {
        assertJsonError(client.get("/x").aggregate().join(), 503, "circuit open");
      }
      assertThat(up.hits.get()).isEqualTo(3);
      assertThat(gauge(p.proxy, "custos.circuit.breaker.state", "cluster", "c")).isEqualTo(2);
      assertThat(counter(p.proxy, "custos.circuit.breaker.transitions", "cluster", "c",
          "to", "open")).isEqualTo(1);
      assertThat(counter(p.proxy, "custos.upstream.rejected", "cluster", "c",
          "reason", "circuit_open")).isEqualTo(5);

      up.status.set(HttpStatus.OK);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(client.get("/x").aggregate().join().status().code()).isEqualTo(200));
      assertThat(gauge(p.proxy, "custos.circuit.breaker.state", "cluster", "c")).isEqualTo(0);
      assertThat(counter(p.proxy, "custos.circuit.breaker.transitions", "cluster", "c",
          "to", "half_open")).isGreaterThanOrEqualTo(1);
      assertThat(counter(p.proxy, "custos.circuit.breaker.transitions", "cluster", "c",
          "to", "closed")).isEqualTo(1);
    }
  }

  @Test
  void theBreakerOpensOnTheFailureRateOverItsWindow() throws Exception {
    up.status.set(HttpStatus.BAD_GATEWAY);
    try (ProxyFixture p = proxy("""
        circuit_breaker: { failure_rate: 0.5, minimum_requests: 4, window: 2s, open_for: 1m }
        """)) {
      WebClient client = WebClient.of(p.http());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertJsonError(client.get("/x").aggregate().join(), 503, "circuit open"));
      int hits = up.hits.get();
      assertThat(hits).isGreaterThanOrEqualTo(4);
      assertJsonError(client.get("/x").aggregate().join(), 503, "circuit open");
      assertThat(up.hits.get()).isEqualTo(hits);
    }
  }

  @Test
  void aGetIsRetriedOn503AndSucceeds() {
    up.failNext.set(2);
    try (ProxyFixture p = proxy("""
        retries: { attempts: 3, backoff: 10ms }
        """)) {
      AggregatedHttpResponse r = WebClient.of(p.http()).get("/x").aggregate().join();
      assertThat(r.status().code()).isEqualTo(200);
      assertThat(up.hits.get()).isEqualTo(3);
      assertThat(counter(p.proxy, "custos.retries", "cluster", "c", "result", "retried"))
          .isEqualTo(2);
    }
  }

  @Test
  void attemptsBoundRetriesAndTheLastUpstreamAnswerIsReturned() {
    up.status.set(HttpStatus.SERVICE_UNAVAILABLE);
    try (ProxyFixture p = proxy("""
        retries: { attempts: 3, backoff: 1ms }
        """)) {
      AggregatedHttpResponse r = WebClient.of(p.http()).get("/x").aggregate().join();
      assertThat(r.status().code()).isEqualTo(503);
      assertThat(r.contentUtf8()).isEqualTo("up:");
      assertThat(up.hits.get()).isEqualTo(3);
    }
  }

  @Test
  void aSmallPutIsRetriedWithItsBody() {
    up.failNext.set(1);
    try (ProxyFixture p = proxy("""
        retries: { attempts: 2, backoff: 1ms }
        """)) {
      AggregatedHttpResponse r = WebClient.of(p.http()).put("/x", "payload").aggregate().join();
      assertThat(r.status().code()).isEqualTo(200);
      assertThat(r.contentUtf8()).isEqualTo("up:payload");
      assertThat(up.hits.get()).isEqualTo(2);
    }
  }

  @Test
  void postAndPatchAreNeverRetried() {
    try (ProxyFixture p = proxy("""
        retries: { attempts: 5, backoff: 1ms }
        """)) {
      WebClient client = WebClient.of(p.http());
      for (String method : List.of("POST", "PATCH")) {
        up.hits.set(0);
        up.failNext.set(1);
        AggregatedHttpResponse r = client.execute(com.linecorp.armeria.common.HttpRequest.of(
            com.linecorp.armeria.common.HttpMethod.valueOf(method), "/x",
            com.linecorp.armeria.common.MediaType.PLAIN_TEXT_UTF_8, "body")).aggregate().join();
        assertThat(r.status().code()).isEqualTo(503);
        assertThat(up.hits.get()).isEqualTo(1);
      }
      assertThat(counter(p.proxy, "custos.retries", "cluster", "c", "result", "retried"))
          .isZero();
    }
  }

  @Test
  void anExhaustedBudgetStopsRetries() {
    up.status.set(HttpStatus.SERVICE_UNAVAILABLE);
    try (ProxyFixture p = proxy("""
        retries: { attempts: 2, backoff: 1ms, budget_percent: 0, min_retries_per_second: 1 }
        """)) {
      WebClient client = WebClient.of(p.http());
      for (int i = 0; i < 15; i++) {
        assertThat(client.get("/x").aggregate().join().status().code()).isEqualTo(503);
      }
      // 1 retry a second over the 10 s window: 10 retries, then none.
      assertThat(up.hits.get()).isEqualTo(25);
      assertThat(counter(p.proxy, "custos.retries", "cluster", "c", "result", "retried"))
          .isEqualTo(10);
      assertThat(counter(p.proxy, "custos.retries", "cluster", "c", "result",
          "budget_exhausted")).isEqualTo(5);
    }
  }

  @Test
  void aFullBulkheadAnswers503AtOnceWithoutTouchingTheUpstream() throws Exception {
    try (ProxyFixture p = proxy("""
        max_concurrent_requests: 2
        """)) {
      WebClient client = WebClient.of(p.http());
      CompletableFuture<AggregatedHttpResponse> first = client.get("/slow").aggregate();
      CompletableFuture<AggregatedHttpResponse> second = client.get("/slow").aggregate();
      await().atMost(Duration.ofSeconds(10)).until(() -> up.slowInFlight.get() == 2);

      long start = System.nanoTime();
      AggregatedHttpResponse third = client.get("/slow").aggregate().join();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      assertJsonError(third, 503, "cluster busy");
      assertThat(up.hits.get()).isEqualTo(2);
      assertThat(counter(p.proxy, "custos.upstream.rejected", "cluster", "c",
          "reason", "bulkhead")).isEqualTo(1);

      up.release.get().complete(null);
      assertThat(first.join().status().code()).isEqualTo(200);
      assertThat(second.join().status().code()).isEqualTo(200);
      assertThat(client.get("/x").aggregate().join().status().code()).isEqualTo(200);
    }
  }

  @Test
  void aRouteTimeoutAnswers504() throws Exception {
    try (ProxyFixture p = proxy("", "300ms")) {
      assertJsonError(WebClient.of(p.http()).get("/slow").aggregate().join(), 504,
          "upstream timeout");
    }
  }

  @Test
  void anUnchangedClusterKeepsItsBreakerAcrossAReload() throws Exception {
    up.status.set(HttpStatus.INTERNAL_SERVER_ERROR);
    String cluster = """
        circuit_breaker: { consecutive_failures: 2, open_for: 1m }
        """;
    try (ProxyFixture p = proxy(cluster)) {
      WebClient client = WebClient.of(p.http());
      client.get("/x").aggregate().join();
      client.get("/x").aggregate().join();
      assertJsonError(client.get("/x").aggregate().join(), 503, "circuit open");
      p.proxy.reload(ProxyConfig.parse(java.nio.file.Files.readString(p.configFile)
          .replace("timeout: 30s", "timeout: 20s"), "custos.yaml", dir));
      assertJsonError(client.get("/x").aggregate().join(), 503, "circuit open");
      assertThat(up.hits.get()).isEqualTo(2);
    }
  }

  @Test
  void theDocumentedExampleIsValid() throws Exception {
    String doc = java.nio.file.Files.readString(Path.of("..", "docs", "resilience.md"));
    int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
    String yaml = doc.substring(start, doc.indexOf("```", start));
    ProxyConfig c = ProxyConfig.parse("listen: 127.0.0.1:0\n" + yaml, "resilience.md", dir);
    ClusterOptions backend = c.clusters().get("backend").options();
    assertThat(backend.loadBalancing())
        .isEqualTo(ClusterOptions.LoadBalancing.WEIGHTED_ROUND_ROBIN);
    assertThat(backend.weights()).containsEntry(new ProxyConfig.Address("127.0.0.1", 9001), 3);
    assertThat(backend.circuitBreaker().consecutiveFailures()).isEqualTo(5);
    assertThat(backend.retries().budgetPercent()).isEqualTo(20);
    assertThat(backend.bulkhead().maxConcurrentRequests()).isEqualTo(100);
    assertThat(c.clusters().get("discovered").options().dns().servers())
        .containsExactly(new ProxyConfig.Address("10.0.0.2", 53));
    assertThat(c.clusters().get("by-srv").options().dns().type())
        .isEqualTo(ClusterOptions.DnsType.SRV);
  }

  @Test
  void resilienceConfigurationErrorsAreReportedAtTheirPosition() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: c }]
        clusters:
          c:
            endpoints: ["127.0.0.1:1"]
            max_pending_requests: 5
            circuit_breaker: { failure_rate: 1.5 }
            retries: { attempts: 0 }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:7:38: clusters.c.circuit_breaker.failure_rate: 1.5"
            + " (expected: at most 1)")
        .hasMessageContaining("custos.yaml:8:26: clusters.c.retries.attempts: 0"
            + " (expected: at least 1)");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: c }]
        clusters:
          c:
            endpoints: ["127.0.0.1:1"]
            max_pending_requests: 5
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:27: clusters.c.max_pending_requests: set without"
            + " max_concurrent_requests (expected: max_concurrent_requests too)");
  }
}
