package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import dev.custos.engine.config.ConfigException;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 10 (NIST SP 800-204A): no default route, egress only to listed hosts, CORS per
 * route answered by the proxy, and a token on the admin server, through the real proxy with real
 * clients.
 */
class DefaultDenyAndEgressTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  Path dir;

  final List<CustosProxy> proxies = new ArrayList<>();

  @AfterEach
  void stop() {
    proxies.forEach(CustosProxy::close);
  }

  CustosProxy start(String yaml) {
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), yaml);
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file)).watch(false).build().start();
    proxies.add(proxy);
    return proxy;
  }

  static AggregatedHttpResponse send(CustosProxy proxy, HttpMethod method, String path,
      Map<String, String> headers) {
    RequestHeadersBuilder h = RequestHeaders.builder(method, path);
    headers.forEach(h::add);
    return WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort()).execute(h.build())
        .aggregate().join();
  }

  static double rejected(CustosProxy proxy, String reason) {
    Counter c = proxy.meterRegistry().find("custos.requests.rejected").tag("reason", reason)
        .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aRequestNoRouteMatchesGets404AndReachesNoUpstream() {
    CustosProxy proxy = start("""
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - name: api
            match: { prefix: /echo/api, methods: [GET] }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort()));
    assertThat(send(proxy, HttpMethod.GET, "/echo/api", Map.of()).status())
        .isEqualTo(HttpStatus.OK);
    int before = upstream.hits.get();
    for (Clients client : Clients.all()) {
      Clients.Response other = client.get("http://127.0.0.1:" + proxy.activeHttpPort(),
          "/echo/other");
      assertThat(other.status()).isEqualTo(404);
      assertThat(other.body()).isEqualTo("{\"error\":\"no route\",\"status\":404}");
    }
    assertThat(send(proxy, HttpMethod.DELETE, "/echo/api", Map.of()).status())
        .isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(upstream.hits.get()).isEqualTo(before);
    assertThat(rejected(proxy, "no_route")).isEqualTo(Clients.all().size() + 1);
  }

  @Test
  void egressForwardsOnlyToListedHosts() {
    CustosProxy proxy = start("""
        listen: 127.0.0.1:0
        findings: { file: off }
        egress:
          allowed_hosts: [api.partner.example, "*.s3.amazonaws.com"]
        routes:
          - name: partner
            match: { host: api.partner.example }
            cluster: u
          - name: everything
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort()));
    int before = upstream.hits.get();
    assertThat(send(proxy, HttpMethod.GET, "/echo/x",
        Map.of(":authority", "api.partner.example")).contentUtf8()).contains("\"upstream\":\"u\"");
    assertThat(send(proxy, HttpMethod.GET, "/echo/x",
        Map.of(":authority", "bucket.s3.amazonaws.com:443")).status()).isEqualTo(HttpStatus.OK);
    assertThat(upstream.hits.get() - before).isEqualTo(2);

    for (String host : List.of("evil.example", "s3.amazonaws.com", "api.partner.example.evil",
        "127.0.0.1")) {
      AggregatedHttpResponse denied = send(proxy, HttpMethod.GET, "/echo/x",
          Map.of(":authority", host));
      assertThat(denied.status()).as(host).isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(denied.contentUtf8())
          .isEqualTo("{\"error\":\"destination host not allowed\",\"status\":403}");
    }
    assertThat(upstream.hits.get() - before).isEqualTo(2);
    assertThat(rejected(proxy, "egress_denied")).isEqualTo(4);
  }

  String corsConfig() {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - name: app
            match: { prefix: /echo/app, methods: [GET, POST] }
            cluster: u
            cors:
              allow_origins: [https://app.example]
              allow_methods: [GET, POST]
              allow_headers: [X-Custom]
              expose_headers: [X-Total]
              max_age: 10m
          - name: plain
            match: { prefix: /echo/plain }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort());
  }

  @Test
  void aPreflightIsAnsweredByTheProxyWithTheRoutesPolicy() {
    CustosProxy proxy = start(corsConfig());
    int before = upstream.hits.get();
    AggregatedHttpResponse preflight = send(proxy, HttpMethod.OPTIONS, "/echo/app", Map.of(
        "origin", "https://app.example",
        "access-control-request-method", "POST",
        "access-control-request-headers", "x-custom"));
    assertThat(preflight.status()).isEqualTo(HttpStatus.OK);
    assertThat(preflight.headers().get("access-control-allow-origin"))
        .isEqualTo("https://app.example");
    assertThat(preflight.headers().get("access-control-allow-methods")).contains("POST", "GET");
    assertThat(preflight.headers().get("access-control-allow-headers")).isEqualTo("x-custom");
    assertThat(preflight.headers().get("access-control-max-age")).isEqualTo("600");
    assertThat(preflight.headers().get("access-control-allow-credentials")).isNull();

    AggregatedHttpResponse stranger = send(proxy, HttpMethod.OPTIONS, "/echo/app", Map.of(
        "origin", "https://evil.example",
        "access-control-request-method", "POST"));
    assertThat(stranger.headers().names().stream().map(Object::toString))
        .noneMatch(n -> n.startsWith("access-control-"));
    assertThat(upstream.hits.get()).isEqualTo(before);
  }

  @Test
  void responsesCarryCorsHeadersForAllowedOriginsOnly() {
    CustosProxy proxy = start(corsConfig());
    AggregatedHttpResponse allowed = send(proxy, HttpMethod.GET, "/echo/app",
        Map.of("origin", "https://app.example"));
    assertThat(allowed.status()).isEqualTo(HttpStatus.OK);
    assertThat(allowed.headers().get("access-control-allow-origin"))
        .isEqualTo("https://app.example");
    assertThat(allowed.headers().get("access-control-expose-headers")).isEqualTo("x-total");

    AggregatedHttpResponse stranger = send(proxy, HttpMethod.GET, "/echo/app",
        Map.of("origin", "https://evil.example"));
    assertThat(stranger.headers().names().stream().map(Object::toString))
        .noneMatch(n -> n.startsWith("access-control-"));

    // A route without a policy passes a preflight on to its upstream like any request.
    int before = upstream.hits.get();
    send(proxy, HttpMethod.OPTIONS, "/echo/plain", Map.of("origin", "https://app.example",
        "access-control-request-method", "GET"));
    assertThat(upstream.hits.get() - before).isEqualTo(1);
  }

  @Test
  void anAdminServerOffLoopbackWithoutATokenIsAConfigError() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        admin: 0.0.0.0:9901
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:1"] }
        """, "custos.yaml", dir)).isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:2:8: admin: '0.0.0.0:9901' is not a loopback address and no"
            + " admin token is set (expected: a loopback address such as 127.0.0.1:9901, or"
            + " admin_token_file or admin_token_env)");
    assertThatThrownBy(() -> ProxyConfig.builder()
        .listen(new ProxyConfig.Address("127.0.0.1", 0))
        .admin(new ProxyConfig.Address("10.1.2.3", 9901))
        .route(new ProxyConfig.Route("r", new ProxyConfig.Match("/", null, null, java.util.Set.of()),
            "u", java.time.Duration.ZERO, null))
        .cluster(new ProxyConfig.Cluster("u", List.of(new ProxyConfig.Address("127.0.0.1", 1)),
            java.time.Duration.ofSeconds(1), 0))
        .build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("admin: 10.1.2.3:9901 without a token");
  }

  @Test
  void aTooShortAdminTokenIsAConfigError() throws Exception {
    Files.writeString(dir.resolve("admin.token"), "short\n");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        admin: 0.0.0.0:9901
        admin_token_file: admin.token
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:1"] }
        """, "custos.yaml", dir)).isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:3:19: admin_token_file: 5 bytes (expected: a token of at least"
            + " 16 bytes)");
  }

  @Test
  void withATokenTheAdminServerRequiresItExceptForHealthz() throws Exception {
    String token = "admin-token-0123456789abcdef";
    Files.writeString(dir.resolve("admin.token"), token + "\n");
    CustosProxy proxy = start("""
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        admin_token_file: admin.token
        findings: { file: off }
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort()));
    WebClient admin = WebClient.of("http://127.0.0.1:" + proxy.activeAdminPort().orElseThrow());
    assertThat(admin.get("/healthz").aggregate().join().status()).isEqualTo(HttpStatus.OK);
    for (String path : List.of("/readyz", "/config", "/metrics")) {
      AggregatedHttpResponse none = admin.get(path).aggregate().join();
      assertThat(none.status()).as(path).isEqualTo(HttpStatus.UNAUTHORIZED);
      assertThat(none.headers().get("www-authenticate")).isEqualTo("Bearer realm=\"custos-admin\"");
      AggregatedHttpResponse wrong = admin.execute(RequestHeaders.of(HttpMethod.GET, path,
          "authorization", "Bearer " + token + "x")).aggregate().join();
      assertThat(wrong.status()).as(path).isEqualTo(HttpStatus.UNAUTHORIZED);
      AggregatedHttpResponse right = admin.execute(RequestHeaders.of(HttpMethod.GET, path,
          "authorization", "Bearer " + token)).aggregate().join();
      assertThat(right.status()).as(path).isEqualTo(HttpStatus.OK);
      assertThat(right.contentUtf8()).doesNotContain(token);
    }
  }
}
