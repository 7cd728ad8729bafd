package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.custos.engine.config.ConfigException;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 6 (NIST SP 800-204 MS-SS-8): token buckets per route, per caller and per API-key
 * plan, the proxy's capacity, header and body size limits and replay protection, through the
 * real proxy with real clients and a clock the test moves.
 */
class RateLimitingTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  static final String SECRET = "0123456789abcdef0123456789abcdef-hmac";

  @TempDir
  Path dir;

  /** The clock buckets and nonce windows read, moved by the tests. */
  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final List<CustosProxy> proxies = new ArrayList<>();

  @AfterEach
  void stop() {
    proxies.forEach(CustosProxy::close);
  }

  CustosProxy start(String yaml) {
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), yaml);
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file))
        .watch(false)
        .clocks(nanos::get, Clock.systemUTC())
        .build()
        .start();
    proxies.add(proxy);
    return proxy;
  }

  String config(String top, String routeExtras) {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        trusted_proxies: [127.0.0.1]
        %s
        routes:
          - name: orders
            match: { prefix: /echo/orders }
            cluster: u
        %s
          - name: other
            match: { prefix: /echo/other }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(top, routeExtras.indent(4).stripTrailing(), upstream.httpPort());
  }

  static AggregatedHttpResponse send(CustosProxy proxy, String method, String path,
      Map<String, String> headers, String body) {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.valueOf(method), path);
    headers.forEach(h::add);
    return WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort())
        .execute(HttpRequest.of(h.build(), HttpData.ofUtf8(body))).aggregate().join();
  }

  static AggregatedHttpResponse get(CustosProxy proxy, String path, Map<String, String> headers) {
    return send(proxy, "GET", path, headers, "");
  }

  static double count(CustosProxy proxy, String name, String... tags) {
    Counter c = proxy.meterRegistry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void routeBucketAnswers429WithRetryAfterOnceTheBurstIsSpent() {
    CustosProxy proxy = start(config("", """
        limits:
          - { key: route, requests: 1, per: 10s, burst: 3 }
        """));
    int before = upstream.hits.get();
    for (int i = 0; i < 3; i++) {
      assertThat(get(proxy, "/echo/orders", Map.of()).status()).isEqualTo(HttpStatus.OK);
    }
    AggregatedHttpResponse refused = get(proxy, "/echo/orders", Map.of());
    assertThat(refused.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(refused.headers().get("retry-after")).isEqualTo("10");
    assertThat(refused.contentUtf8())
        .isEqualTo("{\"error\":\"rate limit exceeded\",\"status\":429}");
    assertThat(upstream.hits.get() - before).isEqualTo(3);
    assertThat(count(proxy, "custos.rate.limited", "route", "orders", "limit", "route"))
        .isEqualTo(1);
    // Another route has no bucket.
    assertThat(get(proxy, "/echo/other", Map.of()).status()).isEqualTo(HttpStatus.OK);

    advance(Duration.ofSeconds(4));
    AggregatedHttpResponse partly = get(proxy, "/echo/orders", Map.of());
    assertThat(partly.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(partly.headers().get("retry-after")).isEqualTo("6");
    advance(Duration.ofSeconds(6));
    assertThat(get(proxy, "/echo/orders", Map.of()).status()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void callersHaveIndependentBucketsByClientAddressThroughTrustedProxies() {
    CustosProxy proxy = start(config("", """
        limits:
          - { key: identity, requests: 2, per: 1m }
        """));
    Map<String, String> alice = Map.of("x-forwarded-for", "10.0.0.1");
    Map<String, String> bob = Map.of("x-forwarded-for", "10.0.0.2");
    assertThat(get(proxy, "/echo/orders", alice).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/orders", alice).status()).isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse refused = get(proxy, "/echo/orders", alice);
    assertThat(refused.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(refused.headers().get("retry-after")).isEqualTo("30");
    assertThat(get(proxy, "/echo/orders", bob).status()).isEqualTo(HttpStatus.OK);
    assertThat(count(proxy, "custos.rate.limited", "route", "orders", "limit", "identity"))
        .isEqualTo(1);
    // No client address is kept or shown.
    assertThat(proxy.meterRegistry().scrape()).doesNotContain("10.0.0.1");
  }

  String apiKeys() throws Exception {
    return """
        authn:
          api_keys:
            keys:
              - { name: alice, sha256: %s, routes: ["*"], plan: gold }
              - { name: bob, sha256: %s, routes: ["*"], plan: bronze }
              - { name: carol, sha256: %s, routes: ["*"] }
        limits:
          plans:
            gold: { requests: 3, per: 1m }
            bronze: { requests: 1, per: 1m }
        """.formatted(AuthenticationTest.sha256("alice-key-0123456789"),
        AuthenticationTest.sha256("bob-key-0123456789"),
        AuthenticationTest.sha256("carol-key-0123456789"));
  }

  static Map<String, String> key(String name) {
    return Map.of("x-api-key", name + "-key-0123456789");
  }

  @Test
  void verifiedIdentitiesHaveIndependentBuckets() throws Exception {
    CustosProxy proxy = start(config(apiKeys(), """
        authn: { require: [api_key] }
        limits:
          - { key: identity, requests: 1, per: 1m }
        """));
    assertThat(get(proxy, "/echo/orders", key("carol")).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/orders", key("carol")).status())
        .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(get(proxy, "/echo/orders", key("alice")).status()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void usagePlansLimitEachApiKeyOnEveryRoute() throws Exception {
    CustosProxy proxy = start("""
        listen: 127.0.0.1:0
        findings: { file: off }
        %s
        routes:
          - name: orders
            match: { prefix: /echo/orders }
            cluster: u
            authn: { require: [api_key] }
          - name: other
            match: { prefix: /echo/other }
            cluster: u
            authn: { require: [api_key] }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(apiKeys(),
        upstream.httpPort()));
    assertThat(get(proxy, "/echo/orders", key("bob")).status()).isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse bob = get(proxy, "/echo/other", key("bob"));
    assertThat(bob.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(bob.headers().get("retry-after")).isEqualTo("60");
    for (int i = 0; i < 3; i++) {
      assertThat(get(proxy, "/echo/orders", key("alice")).status()).isEqualTo(HttpStatus.OK);
    }
    assertThat(get(proxy, "/echo/other", key("alice")).status())
        .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    // A key without a plan is not limited by one.
    for (int i = 0; i < 5; i++) {
      assertThat(get(proxy, "/echo/orders", key("carol")).status()).isEqualTo(HttpStatus.OK);
    }
    assertThat(count(proxy, "custos.rate.limited", "route", "other", "limit", "plan:bronze"))
        .isEqualTo(1);
    assertThat(count(proxy, "custos.rate.limited", "route", "other", "limit", "plan:gold"))
        .isEqualTo(1);
  }

  @Test
  void theGlobalCapacityCoversEveryRoute() {
    CustosProxy proxy = start(config("""
        limits:
          global: { requests: 2, per: 1s }
        """, ""));
    assertThat(get(proxy, "/echo/orders", Map.of()).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/other", Map.of()).status()).isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse refused = get(proxy, "/echo/other", Map.of());
    assertThat(refused.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(refused.headers().get("retry-after")).isEqualTo("1");
    assertThat(count(proxy, "custos.rate.limited", "route", "other", "limit", "global"))
        .isEqualTo(1);
    advance(Duration.ofMillis(500));
    assertThat(get(proxy, "/echo/orders", Map.of()).status()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void headersOverTheLimitGet431() {
    CustosProxy proxy = start(config("""
        limits:
          max_header_size: 1KiB
        """, ""));
    int before = upstream.hits.get();
    AggregatedHttpResponse big = get(proxy, "/echo/orders", Map.of("x-big", "a".repeat(2000)));
    assertThat(big.status()).isEqualTo(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
    assertThat(big.contentUtf8()).contains("\"status\":431");
    assertThat(upstream.hits.get()).isEqualTo(before);
    assertThat(count(proxy, "custos.requests.rejected", "reason", "header_size")).isEqualTo(1);
    assertThat(get(proxy, "/echo/orders", Map.of("x-small", "a".repeat(500))).status())
        .isEqualTo(HttpStatus.OK);
    // Past the listener's default of 8 KiB, still the proxy's own answer (over HTTP/1.1; an
    // HTTP/2 client keeps to the header list size the listener announces).
    Clients.Response bigger = Clients.JDK_HTTP_1_1.send("http://127.0.0.1:"
        + proxy.activeHttpPort(), "GET", "/echo/orders", Map.of("x-big", "a".repeat(9000)), "");
    assertThat(bigger.status()).isEqualTo(431);
    assertThat(bigger.body()).contains("\"status\":431");
  }

  @Test
  void aBodyOverTheRouteLimitGets413WithoutReachingTheUpstream() {
    CustosProxy proxy = start(config("", """
        max_request_body: 1KiB
        """));
    int before = upstream.hits.get();
    AggregatedHttpResponse big = send(proxy, "POST", "/echo/orders", Map.of(), "x".repeat(2048));
    assertThat(big.status()).isEqualTo(HttpStatus.REQUEST_ENTITY_TOO_LARGE);
    assertThat(upstream.hits.get()).isEqualTo(before);
    assertThat(count(proxy, "custos.requests.rejected", "reason", "body_size")).isEqualTo(1);
    assertThat(send(proxy, "POST", "/echo/orders", Map.of(), "x".repeat(512)).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(send(proxy, "POST", "/echo/other", Map.of(), "x".repeat(2048)).status())
        .isEqualTo(HttpStatus.OK);
  }

  @Test
  void aStreamedBodyOverTheRouteLimitIsCutOffWith413() throws Exception {
    CustosProxy proxy = start(config("", """
        max_request_body: 1KiB
        """));
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    byte[] body = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
    java.net.http.HttpResponse<String> res = client.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + proxy.activeHttpPort() + "/echo/orders"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(body)))
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(413);
  }

  @Test
  void aNonceSeenTwiceWithinItsWindowIsRefused() {
    CustosProxy proxy = start(config("", """
        replay_protection: { header: X-Nonce, window: 5m }
        """));
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "n-1")).status())
        .isEqualTo(HttpStatus.OK);
    int before = upstream.hits.get();
    AggregatedHttpResponse replay = get(proxy, "/echo/orders", Map.of("x-nonce", "n-1"));
    assertThat(replay.status()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(replay.contentUtf8()).isEqualTo("{\"error\":\"replayed request\",\"status\":409}");
    assertThat(upstream.hits.get()).isEqualTo(before);
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "n-2")).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/orders", Map.of()).status()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(count(proxy, "custos.replays.rejected", "route", "orders")).isEqualTo(1);
    assertThat(proxy.meterRegistry().scrape()).doesNotContain("n-1");

    advance(Duration.ofMinutes(4));
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "n-1")).status())
        .isEqualTo(HttpStatus.CONFLICT);
    advance(Duration.ofMinutes(1).plusSeconds(1));
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "n-1")).status())
        .isEqualTo(HttpStatus.OK);
  }

  @Test
  void aRateLimitedRequestDoesNotSpendItsNonce() {
    CustosProxy proxy = start(config("", """
        limits:
          - { key: route, requests: 1, per: 1m }
        replay_protection: { header: X-Nonce }
        """));
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "a")).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "b")).status())
        .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    advance(Duration.ofMinutes(1));
    assertThat(get(proxy, "/echo/orders", Map.of("x-nonce", "b")).status())
        .isEqualTo(HttpStatus.OK);
  }

  @Test
  void aJwtIdSeenTwiceIsRefused() throws Exception {
    Files.writeString(dir.resolve("hmac.secret"), SECRET, StandardCharsets.UTF_8);
    CustosProxy proxy = start(config("""
        authn:
          jwt:
            issuer: https://issuer.test
            audiences: [orders-api]
            secret_file: hmac.secret
        """, """
        authn: { require: [jwt] }
        replay_protection: { jwt_jti: true, window: 1h }
        """));
    Map<String, String> first = Map.of("authorization", "Bearer " + hs256("jti-1"));
    assertThat(get(proxy, "/echo/orders", first).status()).isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/orders", first).status()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(get(proxy, "/echo/orders", Map.of("authorization", "Bearer " + hs256("jti-2")))
        .status()).isEqualTo(HttpStatus.OK);
    assertThat(get(proxy, "/echo/orders", Map.of("authorization", "Bearer " + hs256(null)))
        .status()).isEqualTo(HttpStatus.BAD_REQUEST);
  }

  static String hs256(String jti) throws Exception {
    long now = System.currentTimeMillis();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer("https://issuer.test")
        .audience("orders-api")
        .subject("alice")
        .issueTime(new Date(now))
        .expirationTime(new Date(now + 600_000));
    if (jti != null) {
      claims.jwtID(jti);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    return jwt.serialize();
  }

  static ProxyConfig parse(String yaml) {
    return ProxyConfig.parse(yaml, "custos.yaml", Path.of("."));
  }

  @Test
  void limitProblemsAreReportedAtTheirLineAndColumn() throws Exception {
    assertThatThrownBy(() -> parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: u
            limits:
              - { key: route, requests: 1, per: "0" }
        clusters:
          u: { endpoints: ["127.0.0.1:1"] }
        """)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:6:41: routes[0].limits[0].per: 0 (expected:");
    assertThatThrownBy(() -> parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: u
            limits:
              - { key: route, requests: 1, per: 1s }
              - { key: route, requests: 5, per: 1m }
        clusters:
          u: { endpoints: ["127.0.0.1:1"] }
        """)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:7:16: routes[0].limits[1].key: limit 'route' named"
            + " twice");
    assertThatThrownBy(() -> parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: u
            replay_protection: { jwt_jti: true }
        clusters:
          u: { endpoints: ["127.0.0.1:1"] }
        """)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:5:35: routes[0].replay_protection.jwt_jti: true on"
            + " a route whose authn does not verify a JWT");
    assertThatThrownBy(() -> parse("""
        listen: 127.0.0.1:0
        authn:
          api_keys:
            keys:
              - { name: a, sha256: %s, routes: ["*"], plan: platinum }
        limits:
          plans:
            gold: { requests: 1, per: 1s }
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:1"] }
        """.formatted(AuthenticationTest.sha256("k")))).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:5:115: authn.api_keys.keys[0].plan: key 'a' names"
            + " plan 'platinum' that is not defined (expected one of: gold)");
  }
}
