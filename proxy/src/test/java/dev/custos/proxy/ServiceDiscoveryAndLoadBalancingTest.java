package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import dev.custos.engine.config.ConfigException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 4 (NIST SP 800-204 MS-SS-3, MS-SS-7): cluster endpoints from a static list or
 * DNS, active health checks, passive outlier ejection, and the load-balancing strategies, driven
 * through the real proxy with real clients and upstreams.
 */
class ServiceDiscoveryAndLoadBalancingTest {
  @RegisterExtension
  static final ControlledUpstream a = new ControlledUpstream("a");
  @RegisterExtension
  static final ControlledUpstream b = new ControlledUpstream("b");

  @TempDir
  Path dir;

  @AfterEach
  void reset() {
    a.reset();
    b.reset();
  }

  private ProxyFixture proxy(String cluster) {
    return ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: c
        clusters:
          c:
        %s
        """.formatted(cluster.indent(4)));
  }

  private static List<String> names(WebClient client, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      AggregatedHttpResponse r = client.get("/hit").aggregate().join();
      out.add(r.status().code() + ":" + r.contentUtf8().replace(":", ""));
    }
    return out;
  }

  private static double gauge(CustosProxy proxy, String name, String... tags) {
    Gauge g = proxy.meterRegistry().find(name).tags(tags).gauge();
    return g == null ? Double.NaN : g.value();
  }

  @Test
  void onlyHealthyEndpointsGetTrafficAndARecoveredOneComesBackAfterItsThreshold() {
    try (ProxyFixture p = proxy("""
        endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]
        health_check: { path: /healthz, interval: 100ms, timeout: 1s, healthy_threshold: 3, unhealthy_threshold: 2 }
        """.formatted(a.httpPort(), b.httpPort()))) {
      WebClient client = WebClient.of(p.http());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(names(client, 4)).contains("200:a", "200:b"));

      b.health.set(HttpStatus.SERVICE_UNAVAILABLE);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(names(client, 6)).containsOnly("200:a"));
      assertThat(gauge(p.proxy, "custos.endpoint.healthy", "cluster", "c",
          "endpoint", "127.0.0.1:" + b.httpPort())).isEqualTo(0);
      assertThat(gauge(p.proxy, "custos.endpoint.healthy", "cluster", "c",
          "endpoint", "127.0.0.1:" + a.httpPort())).isEqualTo(1);

      b.health.set(HttpStatus.OK);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(names(client, 4)).contains("200:a", "200:b"));
      assertThat(gauge(p.proxy, "custos.endpoint.healthy", "cluster", "c",
          "endpoint", "127.0.0.1:" + b.httpPort())).isEqualTo(1);
    }
  }

  @Test
  void aReloadThatChangesAClusterStopsItsOldHealthChecksAndKeepsTheUnchangedOnes() {
    String config = """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: c
        clusters:
          c:
            endpoints: ["127.0.0.1:%d"]
            health_check: { path: /healthz, interval: 100ms }
          kept:
            endpoints: ["127.0.0.1:%d"]
            health_check: { path: /healthz, interval: 100ms }
        """;
    try (ProxyFixture p = ProxyFixture.start(dir, config.formatted(a.httpPort(), b.httpPort()))) {
      WebClient client = WebClient.of(p.http());
      assertThat(names(client, 2)).containsOnly("200:a");
      p.proxy.reload(ProxyConfig.parse(config.formatted(b.httpPort(), b.httpPort()),
          "custos.yaml", dir));
      assertThat(names(client, 2)).containsOnly("200:b");
      await().atMost(Duration.ofSeconds(15)).until(() ->
          System.nanoTime() - a.lastHealthCheck.get() > Duration.ofSeconds(1).toNanos());
      assertThat(System.nanoTime() - b.lastHealthCheck.get())
          .isLessThan(Duration.ofSeconds(1).toNanos());
    }
  }

  @Test
  void withEveryEndpointUnhealthyRequestsGet503() {
    a.health.set(HttpStatus.INTERNAL_SERVER_ERROR);
    try (ProxyFixture p = proxy("""
        endpoints: ["127.0.0.1:%d"]
        health_check: { path: /healthz, interval: 100ms }
        """.formatted(a.httpPort()))) {
      AggregatedHttpResponse r = WebClient.of(p.http()).get("/hit").aggregate().join();
      assertThat(r.contentUtf8()).contains("no upstream endpoint");
      assertThat(r.status().code()).isEqualTo(503);
      assertThat(a.hits.get()).isZero();
    }
  }

  @Test
  void weightedRoundRobinSendsTrafficInProportionToWeights() {
    try (ProxyFixture p = proxy("""
        endpoints: [{ address: "127.0.0.1:%d", weight: 1 }, { address: "127.0.0.1:%d", weight: 3 }]
        load_balancing: weighted_round_robin
        """.formatted(a.httpPort(), b.httpPort()))) {
      names(WebClient.of(p.http()), 40);
      assertThat(a.hits.get()).isEqualTo(10);
      assertThat(b.hits.get()).isEqualTo(30);
    }
  }

  @Test
  void roundRobinIgnoresWeights() {
    try (ProxyFixture p = proxy("""
        endpoints: [{ address: "127.0.0.1:%d", weight: 1 }, { address: "127.0.0.1:%d", weight: 3 }]
        """.formatted(a.httpPort(), b.httpPort()))) {
      names(WebClient.of(p.http()), 20);
      assertThat(a.hits.get()).isEqualTo(10);
      assertThat(b.hits.get()).isEqualTo(10);
    }
  }

  @Test
  void leastLoadedPrefersTheIdleEndpoint() {
    try (ProxyFixture p = proxy("""
        endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]
        load_balancing: least_loaded
        """.formatted(a.httpPort(), b.httpPort()))) {
      WebClient client = WebClient.of(p.http());
      CompletableFuture<AggregatedHttpResponse> slow = client.get("/slow").aggregate();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> a.slowInFlight.get() + b.slowInFlight.get() == 1);
      ControlledUpstream busy = a.slowInFlight.get() == 1 ? a : b;
      ControlledUpstream idle = busy == a ? b : a;

      assertThat(names(client, 6)).containsOnly("200:" + idle.name);
      busy.release.get().complete(null);
      assertThat(slow.join().contentUtf8()).isEqualTo(busy.name);
      assertThat(names(client, 4)).contains("200:a", "200:b");
    }
  }

  @Test
  void anEndpointFailingConsecutivelyIsEjectedAndTheOthersTakeTheTraffic() {
    a.status.set(HttpStatus.INTERNAL_SERVER_ERROR);
    try (ProxyFixture p = proxy("""
        endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]
        outlier_detection: { consecutive_failures: 3, base_ejection_time: 1m }
        """.formatted(a.httpPort(), b.httpPort()))) {
      WebClient client = WebClient.of(p.http());
      names(client, 10);
      assertThat(a.hits.get()).isBetween(3, 4);
      int before = a.hits.get();
      assertThat(names(client, 6)).containsOnly("200:b");
      assertThat(a.hits.get()).isEqualTo(before);
      Counter ejections = p.proxy.meterRegistry().find("custos.outlier.ejections")
          .tag("cluster", "c").counter();
      assertThat(ejections).isNotNull();
      assertThat(ejections.count()).isEqualTo(1);
      assertThat(gauge(p.proxy, "custos.endpoint.healthy", "cluster", "c",
          "endpoint", "127.0.0.1:" + a.httpPort())).isEqualTo(0);
    }
  }

  @Test
  void ejectionNeverEmptiesTheCluster() {
    a.status.set(HttpStatus.INTERNAL_SERVER_ERROR);
    try (ProxyFixture p = proxy("""
        endpoints: ["127.0.0.1:%d"]
        outlier_detection: { consecutive_failures: 2, base_ejection_time: 1m }
        """.formatted(a.httpPort()))) {
      assertThat(names(WebClient.of(p.http()), 5)).containsOnly("500:a");
    }
  }

  @Test
  void dnsARecordsAreResolvedFromTheConfiguredServer() throws Exception {
    try (LoopbackDns dns = new LoopbackDns()) {
      dns.a.put("api.custos.test", InetAddress.getByName("127.0.0.1"));
      try (ProxyFixture p = proxy("""
          dns: { name: api.custos.test, port: %d, refresh: 1s, servers: ["127.0.0.1:%d"] }
          """.formatted(a.httpPort(), dns.port()))) {
        assertThat(names(WebClient.of(p.http()), 3)).containsOnly("200:a");
        assertThat(dns.queries.get()).isPositive();
        assertThat(p.proxy.config().clusters().get("c").options().dns().name())
            .isEqualTo("api.custos.test");
      }
    }
  }

  @Test
  void dnsSrvRecordsGiveTargetAndPort() throws Exception {
    try (LoopbackDns dns = new LoopbackDns()) {
      dns.srv.put("_http._tcp.api.custos.test", new LoopbackDns.Srv(5, b.httpPort(), "127.0.0.1"));
      try (ProxyFixture p = proxy("""
          dns: { name: _http._tcp.api.custos.test, type: srv, servers: ["127.0.0.1:%d"] }
          """.formatted(dns.port()))) {
        assertThat(names(WebClient.of(p.http()), 3)).containsOnly("200:b");
      }
    }
  }

  @Test
  void discoveryConfigurationErrorsAreReportedAtTheirPosition() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: c }]
        clusters:
          c:
            dns: { name: api.internal }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:5:10: clusters.c.dns: type a without port (expected:"
            + " the port the upstream listens on)");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: c }]
        clusters:
          c:
            dns: { name: api.internal, port: 80, servers: ["dns.internal:53"] }
            load_balancing: fastest
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:21: clusters.c.load_balancing: 'fastest'");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: c }]
        clusters:
          c:
            dns: { name: api.internal, port: 80, servers: ["dns.internal:53"] }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:5:52: clusters.c.dns.servers[0]: dns.internal:53"
            + " (expected: an IP address and a port");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: c }]
        clusters:
          c:
            endpoints: ["127.0.0.1:1"]
            health_check: { path: /healthz, interval: "0" }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:47: clusters.c.health_check.interval: 0 (expected:"
            + " more than 0");
  }
}
