package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.common.Cookie;
import dev.custos.engine.config.ConfigException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Session persistence (SP 800-204 MS-SS-10): a signed affinity cookie keeps a client on one
 * endpoint and a tampered one is not trusted; a header hashes consistently over the endpoints;
 * internal response headers never reach clients; the session cookie never reaches upstreams.
 */
class SessionPersistenceTest {
  @RegisterExtension
  static final Upstream a = new Upstream("a");
  @RegisterExtension
  static final Upstream b = new Upstream("b");
  @RegisterExtension
  static final Upstream c = new Upstream("c");

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() {
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - name: by-user
            match: { prefix: /u/ }
            cluster: app
            sticky: { header: x-user-id }
          - name: session
            match: { prefix: / }
            cluster: app
            sticky: { cookie: { name: custos-affinity, ttl: 1h } }
            strip_response_headers: [X-Internal-Token]
            strip_request_cookies: [session]
        clusters:
          app: { endpoints: ["127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"] }
        """.formatted(a.httpPort(), b.httpPort(), c.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  private static Clients.Response get(String path, Map<String, String> headers) {
    return Clients.ARMERIA_H1C.send(fixture.http(), "GET", path, headers, "");
  }

  private static JsonNode echo(Clients.Response res) throws Exception {
    assertThat(res.status()).isEqualTo(200);
    return Upstream.JSON.readTree(res.body());
  }

  private static Cookie affinity(Clients.Response res) {
    String setCookie = res.header("set-cookie");
    assertThat(setCookie).as("set-cookie").isNotNull();
    Cookie cookie = Cookie.fromSetCookieHeader(setCookie);
    assertThat(cookie.name()).isEqualTo("custos-affinity");
    assertThat(cookie.isHttpOnly()).isTrue();
    assertThat(cookie.maxAge()).isEqualTo(3600);
    return cookie;
  }

  @Test
  void theSameCookieKeepsTheSameEndpoint() throws Exception {
    for (int round = 0; round < 3; round++) {
      Clients.Response first = get("/echo/first", Map.of());
      String endpoint = echo(first).get("upstream").asText();
      Cookie cookie = affinity(first);
      assertThat(cookie.value()).doesNotContain("127.0.0.1")
          .doesNotContain(String.valueOf(a.httpPort()));
      for (int i = 0; i < 30; i++) {
        Clients.Response next = get("/echo/next",
            Map.of("cookie", "custos-affinity=" + cookie.value()));
        JsonNode seen = echo(next);
        assertThat(seen.get("upstream").asText()).isEqualTo(endpoint);
        assertThat(next.header("set-cookie")).isNull();
        assertThat(seen.get("headers").has("cookie")).isFalse();
      }
    }
  }

  @Test
  void aTamperedCookieIsIgnoredAndReplaced() throws Exception {
    Cookie cookie = affinity(get("/echo/first", Map.of()));
    String value = cookie.value();
    char last = value.charAt(value.length() - 1);
    String tampered = value.substring(0, value.length() - 1) + (last == 'A' ? 'B' : 'A');
    String[] parts = value.split("~");
    String otherEndpoint = parts[0] + "~0123456789abcdef~" + parts[2];
    Set<String> seen = new HashSet<>();
    for (String bad : new String[] {tampered, otherEndpoint, "app~junk", "junk"}) {
      for (int i = 0; i < 3; i++) {
        Clients.Response res = get("/echo/tampered", Map.of("cookie", "custos-affinity=" + bad));
        seen.add(echo(res).get("upstream").asText());
        Cookie fresh = affinity(res);
        assertThat(fresh.value()).isNotEqualTo(bad);
        String endpoint = echo(res).get("upstream").asText();
        assertThat(echo(get("/echo/again", Map.of("cookie", "custos-affinity=" + fresh.value())))
            .get("upstream").asText()).isEqualTo(endpoint);
      }
    }
    // Not trusted: the tampered cookies went round robin like cookieless requests.
    assertThat(seen).hasSize(3);
  }

  @Test
  void aHeaderHashesConsistentlyAndSpreadsUsers() throws Exception {
    Map<String, String> endpointOf = new HashMap<>();
    for (int round = 0; round < 5; round++) {
      for (int user = 0; user < 30; user++) {
        String id = "user-" + user;
        String endpoint = echo(get("/u/profile", Map.of("x-user-id", id)))
            .get("upstream").asText();
        assertThat(endpointOf.computeIfAbsent(id, k -> endpoint)).as(id).isEqualTo(endpoint);
      }
    }
    assertThat(new HashSet<>(endpointOf.values())).hasSize(3);
  }

  @Test
  void stickyByCookieAndHeaderAtOnceIsAnErrorAtTheRoute() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: a
            sticky: { cookie: { name: aff }, header: x-user-id }
        clusters: { a: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:5:13: routes[0].sticky: cookie and header"
            + " (expected: exactly one of them)");
  }

  @ParameterizedTest
  @EnumSource(Clients.class)
  void anInternalResponseHeaderNeverReachesTheClient(Clients client) {
    Clients.Response res = client.get(fixture.http(), "/internal-token");
    assertThat(res.status()).isEqualTo(200);
    assertThat(res.headers()).doesNotContainKey("x-internal-token");
    assertThat(res.header("x-upstream-public")).isEqualTo("kept");
    assertThat(res.headers().values()).noneMatch(v -> v.contains("internal-"));
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H1C", "ARMERIA_H2C"})
  void theSessionCookieIsStrippedTowardsTheUpstream(Clients client) throws Exception {
    Clients.Response res = client.send(fixture.http(), "GET", "/echo/cookies",
        Map.of("cookie", "theme=dark; session=s3cr3t-session; lang=en"), "");
    JsonNode seen = echo(res);
    assertThat(seen.get("headers").get("cookie").asText()).isEqualTo("theme=dark; lang=en");
    assertThat(res.body()).doesNotContain("s3cr3t-session");

    JsonNode only = echo(client.send(fixture.http(), "GET", "/echo/cookies",
        Map.of("cookie", "session=s3cr3t-session"), ""));
    assertThat(only.get("headers").has("cookie")).isFalse();
  }
}
