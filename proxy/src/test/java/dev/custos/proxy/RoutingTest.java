package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutingTest {
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
          - name: rewrite
            match: { prefix: /rewrite/ }
            cluster: a
            host_rewrite: internal.test:8443
          - name: admin-host
            match: { host: "*.admin.test" }
            cluster: c
          - name: orders
            match: { path: /api/*/orders/** }
            cluster: b
          - name: writes
            match: { prefix: /api/, methods: [POST, PUT] }
            cluster: c
          - name: api
            match: { prefix: /api/ }
            cluster: a
          - name: exact-host
            match: { host: b.test, prefix: / }
            cluster: b
        clusters:
          a: { endpoints: ["127.0.0.1:%d"] }
          b: { endpoints: ["127.0.0.1:%d"] }
          c: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(a.httpPort(), b.httpPort(), c.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  @Test
  void aRouteCanRewriteTheHost() throws Exception {
    Clients.Response r = Clients.ARMERIA_H2C.get(fixture.http(), "/rewrite/x");

    com.fasterxml.jackson.databind.JsonNode h = Upstream.JSON.readTree(r.body()).get("headers");
    assertThat(h.get(":authority").asText()).isEqualTo("internal.test:8443");
    assertThat(h.get("forwarded").asText()).endsWith(";host=\"127.0.0.1:"
        + fixture.proxy.activeHttpPort() + "\"");
  }

  @ParameterizedTest(name = "{0} {1} host={2} -> {3}")
  @CsvSource({
      "GET, /api/v1/orders/17/items, proxy.test, b",
      "GET, /api/v1/orders, proxy.test, a",
      "GET, /api/v1/x/orders/1, proxy.test, a",
      "POST, /api/users, proxy.test, c",
      "GET, /api/users, proxy.test, a",
      "GET, /anything, b.test, b",
      "GET, /api/users, eu.admin.test, c",
      "GET, /api/users, admin.test, a",
      "GET, /anything, proxy.test, 404",
  })
  void theFirstMatchingRouteWins(String method, String path, String host, String expected)
      throws Exception {
    Clients.Response r = Clients.ARMERIA_H1C.send(fixture.http(), method, path,
        Map.of("host", host), "");

    if (expected.equals("404")) {
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.body()).isEqualTo("{\"error\":\"no route\",\"status\":404}");
    } else {
      assertThat(r.status()).isEqualTo(200);
      assertThat(Upstream.JSON.readTree(r.body()).get("upstream").asText()).isEqualTo(expected);
    }
  }
}
