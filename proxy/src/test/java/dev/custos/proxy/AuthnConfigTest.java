package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.custos.engine.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code authn} keys of custos.yaml: defaults, and errors at their line and column. */
class AuthnConfigTest {
  static final String HASH = "a".repeat(64);

  @TempDir
  Path dir;

  ProxyConfig parse(String authn, String routeAuthn) {
    return ProxyConfig.parse("""
        listen: 127.0.0.1:0
        authn:
        %s
        routes:
          - name: api
            match: { prefix: / }
            cluster: b
            authn: %s
        clusters: { b: { endpoints: ["127.0.0.1:1"] } }
        """.formatted(authn.indent(2).stripTrailing(), routeAuthn), "custos.yaml", dir);
  }

  @Test
  void aJwtProviderGetsSafeDefaults() throws Exception {
    Files.writeString(dir.resolve("jwks.json"), new JWKSet(
        new RSAKeyGenerator(2048).keyID("k").generate().toPublicJWK()).toString());

    ProxyConfig c = parse("""
        jwt: { issuer: https://i.test, audiences: [api], jwks_file: jwks.json }""",
        "{ require: [jwt] }");

    AuthnConfig.Jwt jwt = c.authn().jwt();
    assertThat(jwt.algorithms()).containsExactlyInAnyOrder("RS256", "ES256");
    assertThat(jwt.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(jwt.maxLifetime()).isEqualTo(Duration.ofHours(24));
    assertThat(jwt.header()).isEqualTo("Authorization");
    assertThat(jwt.claim()).isEqualTo("sub");
    assertThat(c.authn().abuse()).isEqualTo(AuthnConfig.Abuse.DEFAULT);
    assertThat(c.routes().get(0).authn()).isEqualTo(
        new AuthnConfig.Requirement(List.of(AuthnConfig.Method.JWT), true, false));
    assertThat(c.authn().files()).containsExactly(dir.resolve("jwks.json"));
  }

  @Test
  void anInlineSecretIsRefusedInFavourOfAFileOrAnEnvironmentVariable() {
    assertThatThrownBy(() -> parse("""
        jwt:
          issuer: https://i.test
          audiences: [api]
          secret: do-not-put-secrets-in-config-files""", "{ require: [jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:6:5: unknown key 'secret' in jwt")
        .hasMessageContaining("secret_file, secret_env")
        .hasMessageNotContaining("do-not-put-secrets-in-config-files");
  }

  @Test
  void anInlineApiKeyIsRefused() {
    assertThatThrownBy(() -> parse("""
        api_keys:
          keys: [{ name: a, key: plain-text-key, routes: [api] }]""", "{ require: [api_key] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:4:")
        .hasMessageContaining("unknown key 'key' in api key")
        .hasMessageNotContaining("plain-text-key");
  }

  @Test
  void algNoneIsNotAnAlgorithm() {
    assertThatThrownBy(() -> parse("""
        jwt: { issuer: https://i.test, audiences: [api], jwks_url: "http://i.test/jwks",
               algorithms: [RS256, none] }""", "{ require: [jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:4:30: authn.jwt.algorithms[1]: 'none' (expected"
            + " one of: RS256,");
  }

  @Test
  void hmacWithAJwkSetIsRefused() {
    assertThatThrownBy(() -> parse("""
        jwt:
          issuer: https://i.test
          audiences: [api]
          jwks_url: http://i.test/jwks
          algorithms: [RS256, HS256]""", "{ require: [jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:7:25: authn.jwt.algorithms[1]: HS256 with a JWK set (expected:"
            + " an asymmetric algorithm; HMAC needs secret_file or secret_env, so that a public"
            + " key can never serve as an HMAC secret)");
  }

  @Test
  void aShortOrMissingSecretIsAnErrorWithoutItsContents() throws Exception {
    Files.writeString(dir.resolve("short.secret"), "tiny-secret\n");

    assertThatThrownBy(() -> parse("""
        jwt: { issuer: https://i.test, audiences: [api], secret_file: short.secret }""",
        "{ require: [jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:3:65: authn.jwt.secret_file: 11 bytes (expected: at least 32"
            + " bytes for HS256)");
    assertThatThrownBy(() -> parse("""
        jwt: { issuer: https://i.test, audiences: [api], secret_env: CUSTOS_TEST_UNSET_SECRET }""",
        "{ require: [jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("environment variable CUSTOS_TEST_UNSET_SECRET is not set");
  }

  @Test
  void aJwkSetFileWithPrivateKeysIsRefused() throws Exception {
    Files.writeString(dir.resolve("jwks.json"), new JWKSet(
        new RSAKeyGenerator(2048).keyID("k").generate()).toString(false));

    assertThatThrownBy(() -> parse("""
        jwt: { issuer: https://i.test, audiences: [api], jwks_file: jwks.json }""",
        "{ require: [jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:3:63: authn.jwt.jwks_file: private key material (expected:"
            + " public keys only)");
  }

  @Test
  void aRouteRequiringAMethodWithoutProviderIsAnErrorAtTheMethod() {
    assertThatThrownBy(() -> parse("""
        api_keys: { keys: [{ name: a, sha256: %s, routes: [api] }] }""".formatted(HASH),
        "{ any_of: [api_key, jwt] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:8:32: routes[0].authn.any_of[1]: jwt has no provider (expected:"
            + " authn.jwt configured, or another method)");
  }

  @Test
  void aSensitiveRouteCannotRequireAnApiKeyAlone() {
    assertThatThrownBy(() -> parse("""
        api_keys: { keys: [{ name: a, sha256: %s, routes: [api] }] }""".formatted(HASH),
        "{ require: [api_key], sensitive: true }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:8:")
        .hasMessageContaining("sensitive: true with api_key alone");
  }

  @Test
  void anApiKeyForAnUnknownRouteAndABadHashAreErrors() {
    assertThatThrownBy(() -> parse("""
        api_keys: { keys: [{ name: a, sha256: %s, routes: [nope] }] }""".formatted(HASH),
        "{ require: [api_key] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'a' names route 'nope' that is not defined");
    assertThatThrownBy(() -> parse("""
        api_keys: { keys: [{ name: a, sha256: abc, routes: [api] }] }""",
        "{ require: [api_key] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("custos.yaml:3:");
  }

  @Test
  void problemsInAKeysFileAreReportedAtTheirPositionInThatFile() throws Exception {
    Path keys = dir.resolve("keys.yaml");
    Files.writeString(keys, """
        - name: billing
          sha256: %s
          routes: [api]
        - name: ops
          sha256: not-a-hash
          routes: [api]
        """.formatted(HASH));

    assertThatThrownBy(() -> parse("api_keys: { keys_file: keys.yaml }", "{ require: [api_key] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(keys + ":5:11: ");
  }

  @Test
  void keysFromAFileAreLoadedAsHashesAndWatched() throws Exception {
    Path keys = dir.resolve("keys.yaml");
    Files.writeString(keys, "- { name: billing, sha256: %s, routes: [api] }\n".formatted(HASH));

    ProxyConfig c = parse("api_keys: { keys_file: keys.yaml }", "{ require: [api_key] }");

    assertThat(c.authn().apiKeys().keys()).containsExactly(
        new AuthnConfig.ApiKey("billing", HASH, java.util.Set.of("api")));
    assertThat(c.authn().files()).containsExactly(keys);
  }

  @Test
  void mtlsNeedsATlsListenerAndLimitsAreBounded() throws Exception {
    TestPki.ca("ca").writeCert(dir.resolve("ca.pem"));

    assertThatThrownBy(() -> parse("mtls: { trust_bundle: ca.pem }", "{ require: [mtls] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("authn.mtls: set without tls");
    assertThatThrownBy(() -> parse("""
        api_keys: { keys: [{ name: a, sha256: %s, routes: [api] }] }
        abuse: { window: 2h }""".formatted(HASH), "{ require: [api_key] }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("custos.yaml:4:20: authn.abuse.window: 2h (expected: more than 0, at most 1h)");
  }
}
