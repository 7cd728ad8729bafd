package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProxyConfig#validateStructure}: what the command plane checks of a configuration it
 * distributes. Every file and environment variable the text names is left to the proxy (none is
 * opened: they all point at files that do not exist), everything else is checked as by {@link
 * ProxyConfig#parse}, with line and column.
 */
class ConfigStructureTest {
  /** Names no variable that exists: the proxy's parser refuses it, the plane's check does not. */
  private static final String UNSET = "CUSTOS_TEST_UNSET_7F3A";

  @TempDir
  Path dir;

  /** Names a file at every read site the proxy's parser has, none of which exists. */
  private static final String EVERY_FILE = """
      listen: 127.0.0.1:8080
      admin: 0.0.0.0:9901
      admin_token_file: missing/admin-token
      tls: { listen: "127.0.0.1:8443", cert: missing/server.pem, key: missing/server.key }
      authn:
        jwt: { issuer: https://issuer.test, audiences: [api], jwks_file: missing/jwks.json }
        mtls: { trust_bundle: missing/clients.pem }
        api_keys: { keys_file: missing/keys.yaml }
      routes:
        - name: api
          match: { prefix: / }
          cluster: backend
          authn: { require: [jwt] }
          inspection: { grpc: { descriptor_set: missing/payments.pb } }
      clusters:
        backend:
          endpoints: [127.0.0.1:9000]
          tls: { ca: missing/ca.pem, cert: missing/client.pem, key: missing/client.key }
        logs:
          endpoints: [127.0.0.1:9001]
      tcp_listeners:
        - name: logs
          listen: "127.0.0.1:5140"
          cluster: logs
          framing: lines
          tls: { cert: missing/logs.pem, key: missing/logs.key }
      wasm_services:
        - name: detector
          path: missing/detector.wasm
          sha256: %s
      shared_state:
        redis: rediss://redis.test:6380
        password_file: missing/redis-password
        ca_file: missing/redis-ca.pem
      command:
        url: https://command.test:8443
        token_file: missing/token
        spool_dir: missing/spool
        tls: { ca_file: missing/plane-ca.pem }
        config: { cache_file: missing/config-cache.yaml }
      findings: { file: missing/findings.jsonl }
      access_log: { file: missing/access.log }
      policy: missing/policy.yaml
      """.formatted("ab".repeat(32));

  @Test
  void everyFileTheConfigurationNamesIsLeftToTheProxy() {
    assertThatCode(() -> ProxyConfig.validateStructure(EVERY_FILE, "custos.yaml"))
        .doesNotThrowAnyException();
  }

  @Test
  void theProxysParserReadsTheSameFilesAndRefusesThemMissing() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ProxyConfig.parse(EVERY_FILE, "custos.yaml", dir));

    // One problem per file read: what the plane defers is what a proxy checks.
    assertThat(e.problems()).extracting(ConfigProblem::text).anySatisfy(t ->
        assertThat(t).startsWith("tls.cert: 'missing/server.pem' is not a readable file"));
    assertThat(e.problems()).extracting(ConfigProblem::text)
        .filteredOn(t -> t.contains("is not a readable file")
            || t.contains("is not a file in an existing folder"))
        .hasSize(20);
  }

  @Test
  void environmentSecretsAreLeftToTheProxy() {
    assertThat(System.getenv(UNSET)).isNull();
    String yaml = """
        listen: 127.0.0.1:8080
        admin: 0.0.0.0:9901
        admin_token_env: %1$s
        authn:
          jwt: { issuer: https://issuer.test, audiences: [api], secret_env: %1$s }
          api_keys: { keys_env: %1$s }
        routes:
          - { name: api, match: { prefix: / }, cluster: backend, authn: { require: [jwt] } }
        clusters: { backend: { endpoints: [127.0.0.1:9000] } }
        """.formatted(UNSET);

    assertThatCode(() -> ProxyConfig.validateStructure(yaml, "custos.yaml"))
        .doesNotThrowAnyException();
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ProxyConfig.parse(yaml, "custos.yaml", dir));
    assertThat(e.getMessage()).contains("custos.yaml:3:18: admin_token_env: ",
        "custos.yaml:5:69: authn.jwt.secret_env: environment variable " + UNSET,
        "custos.yaml:6:25: authn.api_keys.keys_env: environment variable " + UNSET
            + " is not set");
  }

  @Test
  void structuralProblemsAreStillReportedAtTheirLineAndColumn() {
    String yaml = """
        listen: 127.0.0.1:8080
        tls: { listen: "127.0.0.1:8443", cert: certs/, key: "certs/server\\0.key" }
        routes:
          - { name: api, match: { prefix: / }, cluster: nowhere }
        clusters:
          backend: { endpoints: [127.0.0.1:99999], tls: { ca: missing/ca.pem } }
        admin_token_env: 1BAD
        policy: missing/policy.yaml
        """;

    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ProxyConfig.validateStructure(yaml, "custos.yaml"));

    assertThat(e.getMessage()).contains("custos.yaml:7:18: ");
    ConfigException structural = catchThrowableOfType(ConfigException.class,
        () -> ProxyConfig.validateStructure(yaml.replace("admin_token_env: 1BAD\n", ""),
            "custos.yaml"));
    assertThat(structural.getMessage()).contains(
        "custos.yaml:2:40: tls.cert: 'certs/' names a folder (expected: a PEM certificate file,"
            + " relative to this file)",
        "custos.yaml:2:53: tls.key: not a valid path",
        "custos.yaml:4:49: routes[0].cluster: 'nowhere' is not defined",
        "custos.yaml:6:26: clusters.backend.endpoints[0]: port 99999");
    assertThat(structural.getMessage()).doesNotContain("missing/");
  }

  @Test
  void parseStillReadsAFileThatExists() throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), "version: 1\ndisable: [ip_address]\n");
    String yaml = """
        listen: 127.0.0.1:8080
        routes: [{ match: { prefix: / }, cluster: backend }]
        clusters: { backend: { endpoints: [127.0.0.1:9000] } }
        policy: policy.yaml
        """;

    ProxyConfig.validateStructure(yaml, "custos.yaml");
    assertThat(ProxyConfig.parse(yaml, "custos.yaml", dir).policyFile())
        .contains(dir.resolve("policy.yaml"));
  }
}
