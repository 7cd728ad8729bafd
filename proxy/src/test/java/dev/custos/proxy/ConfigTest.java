package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.internal.ConfigReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir
  Path dir;

  private static final String MINIMAL = """
      listen: 127.0.0.1:8080
      admin: 127.0.0.1:9901
      routes:
        - match: { prefix: / }
          cluster: backend
      clusters:
        backend:
          endpoints: [127.0.0.1:9000]
      policy: policy.yaml        # a path (relative to the config file), or the policy inline as a mapping
      """;

  private static final String POLICY = """
      version: 1
      disable: [ip_address]
      """;

  @Test
  void theMinimalConfigurationLoadsWithDefaults() {
    ProxyFixture.write(dir.resolve("policy.yaml"), POLICY);
    ProxyConfig c = ProxyConfig.load(ProxyFixture.write(dir.resolve("custos.yaml"), MINIMAL));

    assertThat(c.listen()).isEqualTo(new ProxyConfig.Address("127.0.0.1", 8080));
    assertThat(c.admin()).contains(new ProxyConfig.Address("127.0.0.1", 9901));
    assertThat(c.tls()).isEmpty();
    assertThat(c.routes()).containsExactly(new ProxyConfig.Route("route-0",
        new ProxyConfig.Match("/", null, null, Set.of()), "backend", Duration.ofSeconds(30),
        null));
    assertThat(c.clusters().get("backend").endpoints())
        .containsExactly(new ProxyConfig.Address("127.0.0.1", 9000));
    assertThat(c.clusters().get("backend").connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.policyFile()).contains(dir.resolve("policy.yaml").toAbsolutePath());
    assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.maxRequestLength()).isZero();
    assertThat(c.workers()).isZero();
  }

  @Test
  void theExampleConfigurationIsValid() {
    ProxyConfig c = ProxyConfig.load(Path.of("..", "examples", "proxy", "custos.yaml"));

    assertThat(c.routes()).extracting(ProxyConfig.Route::name).containsExactly("orders",
        "default");
    assertThat(c.policyFile()).isPresent();
  }

  @Test
  void theGatewayExampleConfiguresApiKeysARateLimitAndACircuitBreaker() {
    ProxyConfig c = ProxyConfig.load(Path.of("..", "examples", "proxy", "gateway.yaml"));

    assertThat(c.authn().apiKeys().keys()).extracting(AuthnConfig.ApiKey::name)
        .containsExactly("billing");
    assertThat(c.authn().apiKeys().keys().get(0).sha256()).matches("[0-9a-f]{64}");
    ProxyConfig.Route orders = c.routes().get(0);
    assertThat(orders.authn()).isNotNull();
    assertThat(orders.limits().rates()).extracting(ProxyConfig.RateLimit::name)
        .containsExactly("per_caller");
    assertThat(c.clusters().get("orders").options().circuitBreaker()).isNotNull();
  }

  @Test
  void anInlinePolicyIsParsedByTheEngine() {
    ProxyConfig c = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        policy:
          version: 1
          disable: [ip_address]
        """, "custos.yaml", dir);

    assertThat(c.policyFile()).isEmpty();
    assertThat(c.policy().detectors()).isNotEmpty();
  }

  @Test
  void anInlinePolicyErrorIsReportedAtItsLineInTheConfigurationFile() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        policy:
          version: 1
          disable: [no_such_category]
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:6:13: ");
  }

  @Test
  void aPolicyFileErrorNamesThePolicyFile() {
    ProxyFixture.write(dir.resolve("policy.yaml"), "version: 1\nunknown: 2\n");

    assertThatThrownBy(() -> ProxyConfig.load(ProxyFixture.write(dir.resolve("custos.yaml"),
        MINIMAL)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policy.yaml:2:1: unknown key 'unknown'");
  }

  @Test
  void aMissingPolicyFileIsReportedAtThePolicyKey() {
    assertThatThrownBy(() -> ProxyConfig.load(ProxyFixture.write(dir.resolve("custos.yaml"),
        MINIMAL)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(dir.resolve("custos.yaml") + ":9:9: policy: 'policy.yaml' is not"
            + " a readable file (expected: a policy file, relative to this file)");
  }

  @Test
  void anUnknownKeyIsAnErrorAtItsPosition() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: b
            retries: 3
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:5:5: unknown key 'retries' in route (expected one of: name,"
            + " match, cluster, timeout, host_rewrite, inspection, limits, max_request_body,"
            + " replay_protection, cors, authn, wasm_filters, authz, split, sticky,"
            + " strip_response_headers, strip_request_cookies, websocket)");
  }

  @Test
  void anUndefinedClusterIsAnErrorAtTheRoute() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: missing
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:4:14: routes[0].cluster: 'missing' is not defined (expected one"
            + " of: b)");
  }

  @Test
  void badValuesSayWhatWasExpected() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: localhost
        routes:
          - match: { prefix: / }
            cluster: b
            timeout: 30 seconds
        clusters: { b: { endpoints: ["127.0.0.1:99999"] } }
        trusted_proxies: ["10.0.0.0/99"]
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:1:9: listen: 'localhost' (expected: matching")
        .hasMessageContaining("custos.yaml:5:14: routes[0].timeout: '30 seconds' (expected:"
            + " matching");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:99999"] } }
        trusted_proxies: ["10.0.0.0/99"]
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:3:30: clusters.b.endpoints[0]: port 99999"
            + " (expected: 0-65535)")
        .hasMessageContaining("custos.yaml:4:19: trusted_proxies[0]: '10.0.0.0/99' (expected:"
            + " an IPv4 or IPv6 CIDR such as 10.0.0.0/8)");
  }

  @Test
  void workersAreACountOfThreads() {
    String base = """
        listen: 127.0.0.1:0
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:9000"] } }
        """;
    assertThat(ProxyConfig.parse(base + "workers: 3\n", "custos.yaml", dir).workers())
        .isEqualTo(3);
    assertThatThrownBy(() -> ProxyConfig.parse(base + "workers: -1\n", "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:4:10: workers:");
  }

  @Test
  void inspectionLimitsTakeSizesAndARouteReplacesOnlyTheKeysItSets() {
    ProxyConfig c = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection:
          max_inspected_body: 512KiB
          max_decoded_body: 1GiB
          max_decode_ratio: 50
          skip_media_types: [image/*, application/pdf]
        routes:
          - name: own
            match: { prefix: /own }
            cluster: b
            inspection: { max_inspected_body: 4096, skip_media_types: [] }
          - name: inherits
            match: { prefix: / }
            cluster: b
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir);

    assertThat(c.inspection()).isEqualTo(new ProxyConfig.Inspection(512 << 10, 1L << 30, 50,
        List.of("image/*", "application/pdf")));
    assertThat(c.inspection(c.routes().get(0))).isEqualTo(new ProxyConfig.Inspection(4096,
        1L << 30, 50, List.of()));
    assertThat(c.routes().get(1).inspection()).isNull();
    assertThat(c.inspection(c.routes().get(1))).isEqualTo(c.inspection());
  }

  @Test
  void withoutTelemetryKeysFindingsGoBesideTheFileAndTheAccessLogIsOff() {
    ProxyConfig c = ProxyConfig.parse(
        "listen: 127.0.0.1:0\nroutes: [{ match: { prefix: / }, cluster: b }]\n"
            + "clusters: { b: { endpoints: [\"127.0.0.1:1\"] } }\n", "custos.yaml", dir);

    assertThat(c.inspection()).isEqualTo(ProxyConfig.Inspection.DEFAULT);
    assertThat(c.findingsFile()).contains(dir.resolve("findings.jsonl"));
    assertThat(c.accessLog()).isEqualTo(ProxyConfig.AccessLog.OFF);
    assertThat(c.accessLog().enabled()).isFalse();
  }

  @Test
  void findingsAndAccessLogTargetsAreRead() {
    String base = "listen: 127.0.0.1:0\nroutes: [{ match: { prefix: / }, cluster: b }]\n"
        + "clusters: { b: { endpoints: [\"127.0.0.1:1\"] } }\n";
    ProxyConfig off = ProxyConfig.parse(base + "findings: { file: off }\n"
        + "access_log: { file: stdout }\n", "custos.yaml", dir);
    assertThat(off.findingsFile()).isEmpty();
    assertThat(off.accessLog()).isEqualTo(ProxyConfig.AccessLog.STDOUT);

    ProxyConfig files = ProxyConfig.parse(base + "findings: { file: logs/../events.jsonl }\n"
        + "access_log: { file: access.jsonl }\n", "custos.yaml", dir);
    assertThat(files.findingsFile()).contains(dir.resolve("events.jsonl"));
    assertThat(files.accessLog()).isEqualTo(ProxyConfig.AccessLog.file(dir.resolve("access.jsonl")));
  }

  @Test
  void badInspectionAndTelemetryValuesAreErrorsAtTheirPosition() {
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection: { max_inspected_body: 8 MB }
        routes: [{ match: { prefix: / }, cluster: b }]
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:2:35: inspection.max_inspected_body: '8 MB' (expected: matching"
            + " ^[0-9]{1,10}(B|KiB|MiB|GiB)?$)");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: b
            inspection: { skip_media_types: [images] }
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:5:38: routes[0].inspection.skip_media_types[0]:"
            + " 'images' (expected: matching");
    assertThatThrownBy(() -> ProxyConfig.parse("""
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: b
            inspection:
              max_decoded_body: 4GiB
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        access_log: { file: no/such/folder/access.jsonl }
        """, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:6:25: routes[0].inspection.max_decoded_body:"
            + " 4294967296 bytes (expected: 1 to 2147483647 bytes)")
        .hasMessageContaining("custos.yaml:8:21: access_log.file: 'no/such/folder/access.jsonl'"
            + " is not a file in an existing folder (expected: a file path relative to this file,"
            + " or off)");
  }

  @Test
  void missingRequiredKeysAreListed() {
    assertThatThrownBy(() -> ProxyConfig.parse("listen: 127.0.0.1:0\n", "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:1:1: config: missing key 'routes'");
  }

  @Test
  void yamlSyntaxErrorsHaveAPosition() {
    assertThatThrownBy(() -> ProxyConfig.parse("listen: [127.0.0.1:0\nroutes: x\n",
        "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:2:");
  }

  @Test
  void everySchemaPropertyHasADescription() {
    JsonNode schema = ConfigReader.schema().schemaJson();
    List<String> missing = new ArrayList<>();
    walk(schema, "#", missing);
    assertThat(missing).isEmpty();
  }

  private static void walk(JsonNode node, String at, List<String> missing) {
    if (node.has("properties")) {
      Iterator<Map.Entry<String, JsonNode>> it = node.get("properties").properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> p = it.next();
        if (!p.getValue().has("description")) {
          missing.add(at + "/properties/" + p.getKey());
        }
        walk(p.getValue(), at + "/properties/" + p.getKey(), missing);
      }
      if (!node.path("additionalProperties").isObject()
          && node.path("additionalProperties").asBoolean(true)) {
        missing.add(at + " allows unknown keys");
      }
    }
    for (String k : List.of("$defs", "items", "additionalProperties")) {
      JsonNode child = node.get(k);
      if (child != null && child.isObject()) {
        if (k.equals("$defs")) {
          child.properties().forEach(e -> walk(e.getValue(), at + "/$defs/" + e.getKey(), missing));
        } else {
          walk(child, at + "/" + k, missing);
        }
      }
    }
  }
}
