package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class UpstreamErrorTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("a");

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: /down }
            cluster: down
          - match: { prefix: /nowhere }
            cluster: unresolvable
          - match: { prefix: /slow }
            cluster: up
            timeout: 500ms
        clusters:
          down: { endpoints: ["127.0.0.1:%d"] }
          unresolvable: { endpoints: ["no-such-host.invalid:80"] }
          up: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(closedPort, upstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  private static void assertJsonError(Clients.Response r, int status, String error)
      throws Exception {
    assertThat(r.status()).isEqualTo(status);
    assertThat(r.header("content-type")).startsWith("application/json");
    JsonNode body = Upstream.JSON.readTree(r.body());
    assertThat(body.get("status").asInt()).isEqualTo(status);
    assertThat(body.get("error").asText()).isEqualTo(error);
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H2C", "JDK_HTTP_1_1"})
  void aRefusedConnectionIs502(Clients client) throws Exception {
    assertJsonError(client.get(fixture.http(), "/down"), 502, "upstream connection refused");
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H2C", "JDK_HTTP_1_1"})
  void anUnresolvableUpstreamIs503(Clients client) throws Exception {
    assertJsonError(client.get(fixture.http(), "/nowhere"), 503, "upstream host unresolvable");
  }

  @ParameterizedTest
  @EnumSource(value = Clients.class, names = {"ARMERIA_H2C", "JDK_HTTP_1_1"})
  void anUpstreamSlowerThanTheRouteTimeoutIs504(Clients client) throws Exception {
    assertJsonError(client.get(fixture.http(), "/slow"), 504, "upstream timeout");
  }
}
