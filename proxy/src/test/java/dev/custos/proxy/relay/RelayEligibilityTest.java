package dev.custos.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.relay.RelayEligibility;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which configurations let the cleartext listener relay HTTP/1.1: a forwarding-only one does,
 * and each feature the relay does not carry, proxy-wide or on one route, turns it off.
 */
class RelayEligibilityTest {
  @TempDir static Path dir;

  static ProxyConfig parse(String top, String route, String cluster) {
    String yaml = """
        listen: 127.0.0.1:0
        inspection: { enabled: false }
        %s
        routes:
          - name: other
            match: { prefix: /other }
            cluster: plain
          - name: r
            match: { prefix: / }
            cluster: c
        %s
        clusters:
          plain: { endpoints: ["127.0.0.1:9"] }
          c:
            endpoints: ["127.0.0.1:9", "[::1]:9"]
        %s
        """.formatted(top, route.indent(4).stripTrailing(), cluster.indent(4).stripTrailing());
    return ProxyConfig.parse(yaml, "custos.yaml", dir);
  }

  @Test
  void aForwardingOnlyConfigurationIsRelayed() {
    assertThat(RelayEligibility.ineligibility(parse("", "", ""))).isNull();
    assertThat(RelayEligibility.ineligibility(parse("http1_relay: auto", "timeout: 5s\n"
        + "host_rewrite: inside.test", ""))).isNull();
  }

  @Test
  void inspectionLeftOnByDefaultIsNotRelayed() {
    ProxyConfig on = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: c
        clusters:
          c: { endpoints: ["127.0.0.1:9"] }
        """, "custos.yaml", dir);
    assertThat(RelayEligibility.ineligibility(on)).isEqualTo("routes[route-0]: inspection");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "http1_relay: off | http1_relay: off",
      "access_log: { file: stdout } | access_log",
      "egress: { allowed_hosts: [a.test] } | egress",
      "max_request_length: 1000 | max_request_length",
      "'limits: { global: { requests: 5, per: 1s } }' | limits",
      "'tracing: { otlp_endpoint: \"http://127.0.0.1:9/v1/traces\", service_name: s, sample_ratio: 1 }' | tracing",
  })
  void aProxyWideFeatureTurnsTheRelayOff(String top, String reason) {
    assertThat(RelayEligibility.ineligibility(parse(top, "", ""))).isEqualTo(reason);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "'inspection: { enabled: true }' | inspection",
      "'limits: [ { key: route, requests: 1, per: 10s } ]' | limits",
      "'max_request_body: 1KiB' | limits",
      "'replay_protection: { header: X-Nonce, window: 5m }' | limits",
      "'cors: { allow_origins: [\"https://app.example\"], allow_methods: [GET] }' | cors",
      "'sticky: { header: x-user-id }' | sticky",
      "'strip_response_headers: [X-Internal]' | strip_response_headers",
      "'strip_request_cookies: [session]' | strip_request_cookies",
      "'websocket: true' | websocket",
      "'authz: { rules: [ { action: allow, to: { methods: [GET] } } ] }' | authz",
  })
  void aRouteFeatureTurnsTheRelayOff(String route, String reason) {
    assertThat(RelayEligibility.ineligibility(parse("", route, ""))).isEqualTo("routes[r]: "
        + reason);
  }

  @Test
  void aSplitTurnsTheRelayOff() {
    ProxyConfig c = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection: { enabled: false }
        routes:
          - name: r
            match: { prefix: / }
            split:
              clusters:
                - { cluster: a, weight: 95 }
                - { cluster: b, weight: 5, canary: true }
        clusters:
          a: { endpoints: ["127.0.0.1:9"] }
          b: { endpoints: ["127.0.0.1:9"] }
        """, "custos.yaml", dir);
    assertThat(RelayEligibility.ineligibility(c)).isEqualTo("routes[r]: split");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "'health_check: { path: /healthz, interval: 1s, timeout: 1s }' | options",
      "'load_balancing: least_loaded' | options",
      "'max_response_length: 1000' | max_response_length",
  })
  void aClusterFeatureTurnsTheRelayOff(String cluster, String reason) {
    String reasonText = RelayEligibility.ineligibility(parse("", "", cluster));
    assertThat(reasonText).isEqualTo("routes[r]: cluster c: " + reason);
  }

  @Test
  void anEndpointNamedByHostIsNotRelayed() {
    ProxyConfig c = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection: { enabled: false }
        routes:
          - match: { prefix: / }
            cluster: c
        clusters:
          c: { endpoints: ["localhost:9"] }
        """, "custos.yaml", dir);
    assertThat(RelayEligibility.ineligibility(c)).startsWith("routes[route-0]: cluster c:"
        + " endpoint host names");
  }

  @Test
  void http1RelayIsReadAndOtherValuesAreRefusedWithTheirPlace() {
    ProxyConfig off = parse("http1_relay: off", "", "");
    assertThat(off.http1Relay()).isEqualTo(ProxyConfig.Http1Relay.OFF);
    assertThat(parse("", "", "").http1Relay()).isEqualTo(ProxyConfig.Http1Relay.AUTO);

    assertThatThrownBy(() -> parse("http1_relay: fast", "", ""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:3:14")
        .hasMessageContaining("http1_relay: fast (expected: auto or off)");
  }
}
