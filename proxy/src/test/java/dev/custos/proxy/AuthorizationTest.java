package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.custos.engine.config.ConfigException;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 2 (NIST SP 800-204B, MS-SS-2): per-route authorization rules through the real
 * proxy with real clients: default deny, deny before allow, principals, claims, source IPs,
 * methods, paths, CEL conditions and reload.
 */
class AuthorizationTest {
  static final String SECRET = "0123456789abcdef0123456789abcdef-authz-test";
  static final String FORBIDDEN = "{\"error\":\"forbidden\",\"status\":403}";

  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  static Path sharedDir;

  @TempDir
  Path dir;

  static ProxyFixture shared;

  static String config(String routes) {
    return """
        listen: 127.0.0.1:0
        trusted_proxies: [127.0.0.1]
        authn:
          jwt:
            issuer: https://issuer.test
            audiences: [orders-api]
            secret_file: secret.key
        routes:
        %s
          - name: open
            match: { prefix: /open/ }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(routes, upstream.httpPort());
  }

  static final String ROUTES = """
          - name: locked
            match: { prefix: /locked/ }
            cluster: u
            authz:
              rules:
                - action: allow
                  to: { paths: ['/locked/public/**'] }
          - name: api
            match: { prefix: /api/ }
            cluster: u
            authn: { require: [jwt] }
            authz:
              rules:
                - action: allow
                  from: { principals: [alice] }
                  to: { methods: [GET], paths: ['/api/**'] }
                - action: allow
                  from: { claims: { role: [admin] } }
                - action: deny
                  from: { principals: ['*'] }
                  to: { paths: ['/api/secret/*'] }
                - action: deny
                  from: { claims: { role: [banned] } }
          - name: net
            match: { prefix: /net/ }
            cluster: u
            authz:
              rules:
                - action: allow
                  from: { source_ips: [10.1.0.0/16, "2001:db8::/32"] }
          - name: tenant
            match: { prefix: /tenant/ }
            cluster: u
            authn: { require: [jwt] }
            authz:
              rules:
                - action: allow
                  when: "request.headers['x-tenant'] == principal.claims.tenant"
                - action: deny
                  when: "request.path.endsWith('/admin') && !('admin' in principal.claims.roles)"
        """;

  @BeforeAll
  static void start() {
    ProxyFixture.write(sharedDir.resolve("secret.key"), SECRET);
    shared = ProxyFixture.start(sharedDir, config(ROUTES));
  }

  @AfterAll
  static void stop() {
    shared.close();
  }

  static String token(Consumer<JWTClaimsSet.Builder> claims) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
        .issuer("https://issuer.test")
        .audience("orders-api")
        .subject("alice")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300)));
    claims.accept(b);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
    try {
      jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  static Clients.Response send(ProxyFixture p, String method, String path, String token,
      Map<String, String> extra) {
    Map<String, String> headers = new HashMap<>(extra);
    if (token != null) {
      headers.put("authorization", "Bearer " + token);
    }
    return Clients.JDK_HTTP_1_1.send(p.http(), method, path, headers, "");
  }

  static double decisions(ProxyFixture p, String route, String decision) {
    Counter c = p.proxy.meterRegistry().find("custos.authz.decisions").tag("route", route)
        .tag("decision", decision).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aRouteWithoutAuthzAllowsEveryRequest() {
    for (Clients client : Clients.all()) {
      assertThat(client.get(shared.http(), "/open/x").status()).as(client.name()).isEqualTo(200);
    }
    assertThat(decisions(shared, "open", "allow")).isZero();
  }

  @Test
  void anAuthzBlockWithoutAMatchingAllowRuleRefuses() {
    double denied = decisions(shared, "locked", "deny");
    for (Clients client : Clients.all()) {
      Clients.Response r = client.get(shared.http(), "/locked/private");
      assertThat(r.status()).as(client.name()).isEqualTo(403);
      assertThat(r.body()).isEqualTo(FORBIDDEN);
      assertThat(r.header("content-type")).startsWith("application/json");
      assertThat(client.get(shared.http(), "/locked/public/a/b").status()).isEqualTo(200);
    }
    assertThat(decisions(shared, "locked", "deny")).isEqualTo(denied + Clients.all().size());
  }

  @Test
  void principalMethodAndPathMustAllMatch() {
    String alice = token(b -> { });
    String bob = token(b -> b.subject("bob"));
    assertThat(send(shared, "GET", "/api/orders", alice, Map.of()).status()).isEqualTo(200);
    assertThat(send(shared, "POST", "/api/orders", alice, Map.of()).status()).isEqualTo(403);
    assertThat(send(shared, "GET", "/api/orders", bob, Map.of()).status()).isEqualTo(403);
  }

  @Test
  void aClaimValueOrAnElementOfAListClaimMatches() {
    String admin = token(b -> b.subject("carol").claim("role", "admin"));
    String admins = token(b -> b.subject("carol").claim("role", List.of("user", "admin")));
    String user = token(b -> b.subject("carol").claim("role", "user"));
    assertThat(send(shared, "POST", "/api/orders", admin, Map.of()).status()).isEqualTo(200);
    assertThat(send(shared, "DELETE", "/api/orders", admins, Map.of()).status()).isEqualTo(200);
    assertThat(send(shared, "POST", "/api/orders", user, Map.of()).status()).isEqualTo(403);
  }

  @Test
  void denyRulesWinOverAllowRulesListedBeforeThem() {
    String alice = token(b -> { });
    String admin = token(b -> b.subject("carol").claim("role", "admin"));
    String banned = token(b -> b.claim("role", List.of("banned")));
    assertThat(send(shared, "GET", "/api/secret/1", alice, Map.of()).status()).isEqualTo(403);
    assertThat(send(shared, "GET", "/api/secret/1", admin, Map.of()).status()).isEqualTo(403);
    assertThat(send(shared, "GET", "/api/orders", banned, Map.of()).status()).isEqualTo(403);
  }

  @Test
  void unauthenticatedRequestsAreRefusedBeforeAuthz() {
    assertThat(send(shared, "GET", "/api/orders", null, Map.of()).status()).isEqualTo(401);
  }

  @Test
  void sourceIpsMatchTheClientAddressBehindATrustedProxy() {
    assertThat(send(shared, "GET", "/net/x", null, Map.of()).status()).isEqualTo(403);
    assertThat(send(shared, "GET", "/net/x", null, Map.of("x-forwarded-for", "10.1.2.3"))
        .status()).isEqualTo(200);
    assertThat(send(shared, "GET", "/net/x", null, Map.of("x-forwarded-for", "2001:db8::7"))
        .status()).isEqualTo(200);
    assertThat(send(shared, "GET", "/net/x", null, Map.of("x-forwarded-for", "10.2.0.1"))
        .status()).isEqualTo(403);
  }

  @Test
  void aCelConditionComparesAHeaderWithAClaim() {
    String acme = token(b -> b.claim("tenant", "acme").claim("roles", List.of("user")));
    assertThat(send(shared, "GET", "/tenant/x", acme, Map.of("x-tenant", "acme")).status())
        .isEqualTo(200);
    assertThat(send(shared, "GET", "/tenant/x", acme, Map.of("x-tenant", "globex")).status())
        .isEqualTo(403);
    // No header: the condition fails to evaluate, which never allows.
    assertThat(send(shared, "GET", "/tenant/x", acme, Map.of()).status()).isEqualTo(403);
    assertThat(send(shared, "GET", "/tenant/admin", acme, Map.of("x-tenant", "acme")).status())
        .isEqualTo(403);
    String root = token(b -> b.claim("tenant", "acme").claim("roles", List.of("admin")));
    assertThat(send(shared, "GET", "/tenant/admin", root, Map.of("x-tenant", "acme")).status())
        .isEqualTo(200);
    // A condition that cannot be evaluated (no roles claim) counts as a match for a deny rule.
    String noRoles = token(b -> b.claim("tenant", "acme"));
    assertThat(send(shared, "GET", "/tenant/admin", noRoles, Map.of("x-tenant", "acme"))
        .status()).isEqualTo(403);
  }

  @Test
  void aCelConditionThatDoesNotCompileIsAConfigErrorAtItsPosition() {
    ProxyFixture.write(dir.resolve("secret.key"), SECRET);
    String yaml = config("""
          - name: bad
            match: { prefix: /bad/ }
            cluster: u
            authz:
              rules:
                - action: allow
                  when: "request.path == 1 +"
        """);
    assertThatThrownBy(() -> ProxyConfig.parse(yaml, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:15:37: ")
        .hasMessageContaining("routes[0].authz.rules[0].when")
        .hasMessageContaining("(expected: a CEL expression of type bool");
    String notBool = config("""
          - name: bad
            match: { prefix: /bad/ }
            cluster: u
            authz:
              rules:
                - action: allow
                  when: size(request) + 1
        """);
    assertThatThrownBy(() -> ProxyConfig.parse(notBool, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:15:")
        .hasMessageContaining("bool");
  }

  @Test
  void anInvalidSourceCidrIsAConfigError() {
    ProxyFixture.write(dir.resolve("secret.key"), SECRET);
    String yaml = config("""
          - name: bad
            match: { prefix: /bad/ }
            cluster: u
            authz:
              rules:
                - action: allow
                  from: { source_ips: [10.0.0.0/99] }
        """);
    assertThatThrownBy(() -> ProxyConfig.parse(yaml, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("10.0.0.0/99")
        .hasMessageContaining("expected: an IPv4 or IPv6 CIDR");
  }

  @Test
  void aReloadChangesTheDecisionWithoutARestart() {
    ProxyFixture.write(dir.resolve("secret.key"), SECRET);
    String denyAll = """
          - name: flip
            match: { prefix: /flip/ }
            cluster: u
            authz:
              rules: []
        """;
    try (ProxyFixture p = ProxyFixture.start(dir, config(denyAll))) {
      String before = p.proxy.config().version();
      assertThat(Clients.ARMERIA_H2C.get(p.http(), "/flip/x").status()).isEqualTo(403);
      ProxyFixture.write(p.configFile, config(denyAll + """
                - action: allow
                  to: { methods: [GET] }
        """.replace("rules: []", "rules:")).replace("rules: []", "rules:"));
      await().atMost(Duration.ofSeconds(10))
          .until(() -> Clients.ARMERIA_H2C.get(p.http(), "/flip/x").status() == 200);
      assertThat(p.proxy.config().version()).isNotEqualTo(before).hasSize(16);
      assertThat(decisions(p, "flip", "allow")).isPositive();
      assertThat(decisions(p, "flip", "deny")).isPositive();
    }
  }
}
