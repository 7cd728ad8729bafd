package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.config.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The route option {@code websocket}: off by default, and checked against what it needs. */
class WebSocketConfigTest {
  @TempDir
  Path dir;

  private ProxyConfig parse(String route) {
    return parse("{ prefix: / }", route);
  }

  private ProxyConfig parse(String match, String route) {
    return ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: %s
            cluster: b
        %s
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """.formatted(match, route.indent(4).stripTrailing()), "custos.yaml", dir);
  }

  @Test
  void routesRefuseWebSocketUnlessTheyOptIn() {
    assertThat(parse("").routes().get(0).websocket()).isFalse();
    assertThat(parse("websocket: true").routes().get(0).websocket()).isTrue();
    assertThat(parse("websocket: false").routes().get(0).websocket()).isFalse();
  }

  @Test
  void aWebSocketRouteMustMatchGet() {
    assertThatThrownBy(() -> parse("{ prefix: /, methods: [POST] }", "websocket: true"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:")
        .hasMessageContaining("routes[0].websocket: true with match.methods [POST] (expected:"
            + " GET among the methods, or no methods listed: an upgrade is a GET)");
    assertThat(parse("{ prefix: /, methods: [GET, POST] }", "websocket: true")
        .routes().get(0).websocket()).isTrue();
  }

  @Test
  void aWebSocketRouteTakesNoWasmFilters() {
    assertThatThrownBy(() -> parse("""
        websocket: true
        wasm_filters: [{ name: f, path: f.wasm }]"""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes[0].websocket: true with wasm_filters (expected: no"
            + " wasm_filters on a WebSocket route: they act on HTTP bodies)");
  }

  @Test
  void aNonBooleanIsAnErrorAtItsPosition() {
    assertThatThrownBy(() -> parse("websocket: yes please"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:5:");
  }
}
