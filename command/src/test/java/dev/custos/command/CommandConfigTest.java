package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandConfigTest {
  static final String DIGEST = "a".repeat(64);

  @TempDir
  Path dir;

  @Test
  void aMinimalConfigurationTakesTheDefaults() {
    CommandConfig c = CommandConfig.parse("""
        listen: 127.0.0.1:7070
        tokens:
          - { name: edge, sha256: %s }
        """.formatted(DIGEST.toUpperCase()), "command.yaml", dir);

    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(7070);
    assertThat(c.database().url()).isEqualTo("jdbc:sqlite:" + dir.toAbsolutePath()
        .resolve("custos-command.db"));
    assertThat(c.database().postgresql()).isFalse();
    assertThat(c.tokens()).containsExactly(new CommandConfig.Token("edge", DIGEST));
    assertThat(c.apiTokens()).isEmpty();
    assertThat(c.retention()).isEqualTo(CommandConfig.Retention.DEFAULT);
    assertThat(c.ingest()).isEqualTo(CommandConfig.Ingest.DEFAULT);
  }

  @Test
  void everyKeyIsRead() throws Exception {
    Files.writeString(dir.resolve("pg.password"), "secret\n");
    Files.writeString(dir.resolve("edge.token"), "  the-token \n");
    CommandConfig c = CommandConfig.parse("""
        listen: "[::1]:0"
        database:
          url: jdbc:postgresql://db:5432/custos
          user: custos
          password_file: pg.password
          schema: fleet
          pool_size: 12
        tokens:
          - { name: edge, file: edge.token }
        api_tokens:
          - { name: dash, sha256: %s }
        retention: { raw_events: 3d, minute_rollups: 12h, hour_rollups: 30d, interval: 10m }
        ingest: { queue: 8, workers: 2 }
        """.formatted(DIGEST), "command.yaml", dir);

    assertThat(c.host()).isEqualTo("::1");
    assertThat(c.database()).isEqualTo(new CommandConfig.Database(
        "jdbc:postgresql://db:5432/custos", "custos", dir.resolve("pg.password"), "fleet", 12));
    // sha256("the-token")
    assertThat(c.tokens().get(0).sha256())
        .isEqualTo(CommandPlaneTest.sha256("the-token"));
    assertThat(c.retention()).isEqualTo(new CommandConfig.Retention(Duration.ofDays(3),
        Duration.ofHours(12), Duration.ofDays(30), Duration.ofMinutes(10)));
    assertThat(c.ingest()).isEqualTo(new CommandConfig.Ingest(8, 2));
    assertThat(c.toString()).doesNotContain("secret").doesNotContain("the-token");
  }

  @Test
  void aRelativeSqliteFileIsBesideTheConfiguration() {
    CommandConfig c = CommandConfig.parse("""
        listen: 127.0.0.1:0
        database: { url: "jdbc:sqlite:data/findings.db" }
        tokens: [{ name: edge, sha256: %s }]
        """.formatted(DIGEST), "command.yaml", dir);

    assertThat(c.database().url()).isEqualTo("jdbc:sqlite:" + dir.toAbsolutePath()
        .resolve("data/findings.db"));
  }

  @Test
  void aBadDurationIsReportedAtItsLineAndColumn() {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        retention:
          raw_events: 7days
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("command.yaml:4:15: retention.raw_events: '7days'");
  }

  @Test
  void anUnknownKeyListsTheExpectedOnes() {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        retension: {}
        """.formatted(DIGEST), "command.yaml", dir))
        .hasMessageStartingWith("command.yaml:3:1: unknown key 'retension' in command plane"
            + " configuration (expected one of: listen, database, tokens, api_tokens, oidc,"
            + " retention, ingest, alerts, tls, client_certs)");
  }

  @Test
  void aMissingTokenFileAndAZeroDurationAreReported() {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, file: nowhere.token }]
        retention: { interval: 0s }
        """, "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:2:30: tokens[0].file: no such file nowhere.token")
        .hasMessageContaining("command.yaml:3:24: retention.interval: 0 (expected: more than 0)");
  }

  @Test
  void tokensAreRequired() {
    assertThatThrownBy(() -> CommandConfig.parse("listen: 127.0.0.1:0\n", "command.yaml", dir))
        .hasMessageContaining("missing key 'tokens'");
  }

  @Test
  void aConfigurationFileIsLoaded() throws Exception {
    Path file = Files.writeString(dir.resolve("command.yaml"),
        "listen: 127.0.0.1:0\ntokens: [{ name: edge, sha256: %s }]\n".formatted(DIGEST));

    assertThat(CommandConfig.load(file).port()).isZero();
    assertThatThrownBy(() -> CommandConfig.load(dir.resolve("none.yaml")))
        .hasMessageContaining("no such file");
  }

  @Test
  void apiTokensAreReadersUnlessMadeAdmins() {
    CommandConfig c = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %1$s }]
        api_tokens:
          - { name: dash, sha256: %1$s }
          - { name: ops, sha256: %1$s, role: admin }
          - { name: audit, sha256: %1$s, role: read }
        """.formatted(DIGEST), "command.yaml", dir);

    assertThat(c.apiTokens()).containsExactly(
        new CommandConfig.ApiToken("dash", DIGEST, CommandConfig.ApiRole.READ),
        new CommandConfig.ApiToken("ops", DIGEST, CommandConfig.ApiRole.ADMIN),
        new CommandConfig.ApiToken("audit", DIGEST, CommandConfig.ApiRole.READ));
    assertThat(c.oidc()).isNull();
  }

  @Test
  void anUnknownRoleIsReportedAtItsLine() {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %1$s }]
        api_tokens:
          - { name: ops, sha256: %1$s, role: root }
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:4:")
        .hasMessageContaining("role");
  }

  @Test
  void oidcTakesItsDefaults() {
    CommandConfig c = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        oidc:
          issuer: https://idp.example/realms/x
          audience: custos
          jwks_url: https://idp.example/realms/x/certs
        """.formatted(DIGEST), "command.yaml", dir);

    CommandConfig.Oidc o = c.oidc();
    assertThat(o).isNotNull();
    assertThat(o.issuer()).isEqualTo("https://idp.example/realms/x");
    assertThat(o.audiences()).containsExactly("custos");
    assertThat(o.jwksUrl()).hasToString("https://idp.example/realms/x/certs");
    assertThat(o.jwksFile()).isNull();
    assertThat(o.rolesClaim()).isEqualTo("roles");
    assertThat(o.nameClaim()).isEqualTo("sub");
    assertThat(o.adminRoles()).containsExactly("custos-admin");
    assertThat(o.readRoles()).containsExactly("custos-read");
    assertThat(o.clockSkew()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.jwksCache()).isEqualTo(Duration.ofMinutes(5));
    assertThat(o.algorithms()).containsExactlyElementsOf(
        CommandConfig.Oidc.ASYMMETRIC_ALGORITHMS);
  }

  @Test
  void oidcNeedsExactlyOneKeySourceAndNoHmac() throws Exception {
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        oidc:
          issuer: https://idp.example
          audience: custos
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:4:");
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        oidc:
          issuer: https://idp.example
          audience: custos
          jwks_url: https://idp.example/certs
          algorithms: [HS256]
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:7:");
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        oidc:
          issuer: https://idp.example
          audience: custos
          jwks_url: https://idp.example/certs
          jwks_cache: 10s
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:7:15: oidc.jwks_cache: shorter than 1m");
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        oidc:
          issuer: https://idp.example
          audience: custos
          jwks_url: https://idp.example/certs
          clock_skew: 30d
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:7:15: oidc.clock_skew: longer than 5m");
    Files.writeString(dir.resolve("secret.json"),
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\"}]}");
    assertThatThrownBy(() -> CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens: [{ name: edge, sha256: %s }]
        oidc:
          issuer: https://idp.example
          audience: custos
          jwks_file: secret.json
        """.formatted(DIGEST), "command.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("command.yaml:6:14: oidc.jwks_file: a key of type oct (expected:"
            + " RSA or EC public keys only")
        .hasMessageNotContaining("c2VjcmV0");
  }
}
