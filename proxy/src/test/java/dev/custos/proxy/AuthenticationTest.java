package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 5 item 1 (NIST SP 800-204 MS-SS-1): JWT, client certificates and API keys, per route,
 * through the real proxy with real clients; the verified identity reaches budgets.
 */
class AuthenticationTest {
  static final String ISSUER = "https://issuer.test";
  static final String AUDIENCE = "orders-api";
  static final String SPIFFE = "spiffe://test/ns/a/sa/b";

  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  static final AtomicReference<String> jwks = new AtomicReference<>();
  static final AtomicInteger jwksFetches = new AtomicInteger();

  /** The token issuer's JWK set endpoint. */
  @RegisterExtension
  static final ServerExtension issuer = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.service("/jwks", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON,
          new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString()));
      sb.service("/rotating", (ctx, req) -> {
        jwksFetches.incrementAndGet();
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON, jwks.get());
      });
    }
  };

  static RSAKey rsa;
  static RSAKey rsaRotated;
  static RSAKey stranger;
  static ECKey ec;

  @TempDir
  static Path sharedDir;

  @TempDir
  Path dir;

  /** A proxy with the JWT provider, shared by the tests that only send requests to it. */
  static CustosProxy shared;

  static final List<Principal> principals = new CopyOnWriteArrayList<>();
  final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void keysAndSharedProxy() throws JOSEException {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    rsaRotated = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
    stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    shared = start(sharedDir, jwtConfig("/jwks", """
          - name: public
            match: { prefix: /echo/public }
            cluster: u
        """, ""));
  }

  @AfterAll
  static void stopSharedProxy() {
    shared.close();
  }

  @BeforeEach
  void clearPrincipals() {
    principals.clear();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  CustosProxy start(String yaml) {
    CustosProxy proxy = start(dir, yaml);
    closing.add(proxy);
    return proxy;
  }

  /** Starts a proxy whose AUTHZ stage records the principal the AUTHN stage proved. */
  static CustosProxy start(Path dir, String yaml) {
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), yaml);
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file))
        .watch(false)
        .decorator(FilterStage.AUTHZ, delegate -> new SimpleDecoratingHttpService(delegate) {
          @Override
          public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
            AuthenticationService.principal(ctx).ifPresent(principals::add);
            return unwrap().serve(ctx, req);
          }
        })
        .build()
        .start();
    return proxy;
  }

  static String jwtConfig(String jwksPath, String extraRoutes, String policy) {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        authn:
          jwt:
            issuer: %s
            audiences: [%s]
            jwks_url: http://127.0.0.1:%d%s
            algorithms: [RS256, ES256]
            clock_skew: 30s
            max_lifetime: 24h
            jwks_cache_ttl: 1m
            jwks_refresh_min_interval: 100ms
          abuse: { max_failures: 100000 }
        routes:
        %s  - name: orders
            match: { prefix: / }
            cluster: u
            authn: { require: [jwt] }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        %s""".formatted(ISSUER, AUDIENCE, issuer.httpPort(), jwksPath, extraRoutes,
        upstream.httpPort(), policy);
  }

  static String token(JWK key, Consumer<JWTClaimsSet.Builder> claims) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject("alice")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))));
    claims.accept(b);
    try {
      JWSAlgorithm alg = key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
      JWSSigner signer = key instanceof ECKey e ? new ECDSASigner(e) : new RSASSASigner((RSAKey) key);
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).build(),
          b.build());
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String token(JWK key) {
    return token(key, b -> { });
  }

  static AggregatedHttpResponse get(CustosProxy proxy, String path, Map<String, String> headers) {
    com.linecorp.armeria.common.RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path);
    headers.forEach(h::add);
    return WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort())
        .execute(h.build()).aggregate().join();
  }

  static Map<String, String> bearer(String token) {
    return Map.of("authorization", "Bearer " + token);
  }

  static double failures(CustosProxy proxy, String route, String reason) {
    Counter c = proxy.meterRegistry().find("custos.authn.failures")
        .tags("route", route, "reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void validRs256AndEs256TokensPassWithTheVerifiedSubjectAsPrincipal() {
    CustosProxy proxy = shared;

    AggregatedHttpResponse viaRsa = get(proxy, "/echo/a", bearer(token(rsa)));
    AggregatedHttpResponse viaEc = get(proxy, "/echo/b",
        bearer(token(ec, b -> b.subject("bob"))));

    assertThat(viaRsa.status()).isEqualTo(HttpStatus.OK);
    assertThat(viaEc.status()).isEqualTo(HttpStatus.OK);
    assertThat(principals).extracting(Principal::name).containsExactly("alice", "bob");
    assertThat(principals).allSatisfy(p -> {
      assertThat(p.identity().kind()).isEqualTo(Identity.Kind.JWT);
      assertThat(p.identity().verified()).isTrue();
      assertThat(p.methods()).containsExactly(AuthnConfig.Method.JWT);
      assertThat(p.toString()).doesNotContain("alice", "bob");
    });
  }

  @Test
  void aTokenNotYetValidWithinTheClockSkewPasses() {
    CustosProxy proxy = shared;
    Instant now = Instant.now();

    assertThat(get(proxy, "/echo", bearer(token(rsa, b -> b.notBeforeTime(
        Date.from(now.plusSeconds(10)))))).status()).isEqualTo(HttpStatus.OK);
  }

  static Stream<Arguments> refusedTokens() throws JOSEException {
    Instant now = Instant.now();
    List<Arguments> out = new ArrayList<>();
    JWTClaimsSet valid = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE)
        .subject("alice").issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300))).build();
    out.add(Arguments.of("alg none", new PlainJWT(valid).serialize(), "alg_none"));
    out.add(Arguments.of("signed by another key with the same kid", token(stranger),
        "bad_signature"));
    SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1")
        .build(), valid);
    hmac.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
    out.add(Arguments.of("HS256 signed with the public key's bytes", hmac.serialize(),
        "algorithm"));
    out.add(Arguments.of("expired", token(rsa, b -> b.issueTime(Date.from(now.minusSeconds(7200)))
        .expirationTime(Date.from(now.minusSeconds(3600)))), "expired"));
    out.add(Arguments.of("not yet valid beyond the skew", token(rsa, b -> b.notBeforeTime(
        Date.from(now.plusSeconds(300))).expirationTime(Date.from(now.plusSeconds(600)))),
        "not_yet_valid"));
    out.add(Arguments.of("issued in the future beyond the skew", token(rsa, b -> b.issueTime(
        Date.from(now.plusSeconds(300))).expirationTime(Date.from(now.plusSeconds(600)))),
        "not_yet_valid"));
    out.add(Arguments.of("wrong issuer", token(rsa, b -> b.issuer("https://evil.test")),
        "issuer"));
    out.add(Arguments.of("wrong audience", token(rsa, b -> b.audience("other-api")),
        "audience"));
    out.add(Arguments.of("lifetime longer than max_lifetime", token(rsa,
        b -> b.expirationTime(Date.from(now.plus(Duration.ofHours(48))))), "lifetime"));
    out.add(Arguments.of("no expiry", token(rsa, b -> b.expirationTime(null)), "no_expiry"));
    out.add(Arguments.of("unknown key id", token(rsaRotated), "unknown_key"));
    out.add(Arguments.of("not a JWT", "not-a-token", "malformed"));
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTokens")
  void refusedTokensGet401WithAChallengeAndNoEcho(String name, String token, String reason) {
    CustosProxy proxy = shared;
    double before = failures(proxy, "orders", reason);

    AggregatedHttpResponse r = get(proxy, "/echo", bearer(token));

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(r.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))
        .isEqualTo("Bearer realm=\"custos\", error=\"invalid_token\"");
    assertThat(r.contentUtf8()).isEqualTo("{\"error\":\"invalid credentials\",\"status\":401}");
    assertThat(failures(proxy, "orders", reason)).isEqualTo(before + 1);
    assertThat(principals).isEmpty();
  }

  @Test
  void aRequestWithoutATokenGets401AndRoutesWithoutAuthnPass() {
    CustosProxy proxy = shared;
    double before = failures(proxy, "orders", "missing_jwt");

    AggregatedHttpResponse r = get(proxy, "/echo/private", Map.of());

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(r.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))
        .isEqualTo("Bearer realm=\"custos\"");
    assertThat(failures(proxy, "orders", "missing_jwt")).isEqualTo(before + 1);
    assertThat(get(proxy, "/echo/public", Map.of()).status()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void aRotatedSigningKeyIsPickedUpAfterARefresh() {
    jwks.set(new JWKSet(List.of(rsa.toPublicJWK())).toString());
    CustosProxy proxy = start(jwtConfig("/rotating", "", ""));
    assertThat(get(proxy, "/echo", bearer(token(rsa))).status()).isEqualTo(HttpStatus.OK);
    int fetches = jwksFetches.get();

    jwks.set(new JWKSet(List.of(rsaRotated.toPublicJWK())).toString());

    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(150)).untilAsserted(
        () -> assertThat(get(proxy, "/echo", bearer(token(rsaRotated))).status())
            .isEqualTo(HttpStatus.OK));
    assertThat(jwksFetches.get()).isGreaterThan(fetches);
  }

  @Test
  void theVerifiedIdentityReplacesTheClientIpForBudgets() {
    // The policy counts budgets per client IP; both callers share 127.0.0.1, so only the
    // verified JWT identity can keep their budgets apart.
    CustosProxy proxy = start(jwtConfig("/jwks", "", """
        policy:
          version: 1
          identity:
            - { from: client_ip }
          rules:
            - name: one card per caller
              match: { direction: request }
              categories: [credit_card]
              action: block
              when: { per_identity: { distinct_at_least: 2, window: 1h } }
        """));
    WebClient client = WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort());
    Function<String, Function<String, HttpStatus>> post = subject -> card -> client.execute(
        RequestHeaders.builder(HttpMethod.POST, "/echo")
            .add("authorization", "Bearer " + token(rsa, b -> b.subject(subject)))
            .contentType(MediaType.PLAIN_TEXT_UTF_8).build(),
        "paid with " + card).aggregate().join().status();

    assertThat(post.apply("alice").apply("4111 1111 1111 1111")).isEqualTo(HttpStatus.OK);
    assertThat(post.apply("alice").apply("5500 0000 0000 0004")).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(post.apply("bob").apply("5500 0000 0000 0004")).isEqualTo(HttpStatus.OK);
  }

  // ---- API keys

  static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  String apiKeyConfig() throws Exception {
    return """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: off }
        authn:
          jwt:
            issuer: %s
            audiences: [%s]
            jwks_url: http://127.0.0.1:%d/jwks
          api_keys:
            keys:
              - { name: billing, sha256: %s, routes: [orders, payments] }
              - { name: ops, sha256: %s, routes: ["*"] }
        routes:
          - name: orders
            match: { prefix: /echo/orders }
            cluster: u
            authn: { require: [api_key] }
          - name: admin
            match: { prefix: /echo/admin }
            cluster: u
            authn: { any_of: [jwt, api_key] }
          - name: payments
            match: { prefix: /echo/payments }
            cluster: u
            authn: { any_of: [api_key, jwt], sensitive: true }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(ISSUER, AUDIENCE, issuer.httpPort(), sha256("billing-key-0123456789"),
        sha256("ops-key-0123456789"), upstream.httpPort());
  }

  @Test
  void anApiKeyWorksOnItsRoutesOnlyAndIsHeldAsAHash() throws Exception {
    CustosProxy proxy = start(apiKeyConfig());
    Map<String, String> billing = Map.of("x-api-key", "billing-key-0123456789");

    assertThat(get(proxy, "/echo/orders", billing).status()).isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse elsewhere = get(proxy, "/echo/admin", billing);
    assertThat(elsewhere.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(failures(proxy, "admin", "api_key_scope")).isEqualTo(1);
    assertThat(get(proxy, "/echo/admin", Map.of("x-api-key", "ops-key-0123456789")).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(principals).extracting(Principal::name).containsExactly("billing", "ops");
    assertThat(principals.get(0).identity().kind()).isEqualTo(Identity.Kind.API_KEY);

    AggregatedHttpResponse unknown = get(proxy, "/echo/orders", Map.of("x-api-key", "guess"));
    assertThat(unknown.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(unknown.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))
        .isEqualTo("ApiKey realm=\"custos\", header=\"X-Api-Key\"");

    AuthnConfig.ApiKeys keys = proxy.config().authn().apiKeys();
    assertThat(keys.keys()).extracting(AuthnConfig.ApiKey::sha256)
        .containsExactly(sha256("billing-key-0123456789"), sha256("ops-key-0123456789"));
    assertThat(keys.toString()).doesNotContain("billing-key-0123456789");
    String shown = WebClient.of("http://127.0.0.1:" + proxy.activeAdminPort().orElseThrow())
        .get("/config").aggregate().join().contentUtf8();
    assertThat(shown).contains("\"billing\"").doesNotContain(sha256("billing-key-0123456789"));
  }

  @Test
  void aSensitiveRouteRefusesAnApiKeyAloneButTakesAJwt() throws Exception {
    CustosProxy proxy = start(apiKeyConfig());

    AggregatedHttpResponse keyOnly = get(proxy, "/echo/payments",
        Map.of("x-api-key", "billing-key-0123456789"));
    assertThat(keyOnly.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(failures(proxy, "payments", "api_key_alone")).isEqualTo(1);

    assertThat(get(proxy, "/echo/payments", bearer(token(rsa))).status())
        .isEqualTo(HttpStatus.OK);
    AggregatedHttpResponse both = get(proxy, "/echo/payments", Map.of(
        "x-api-key", "billing-key-0123456789", "authorization", "Bearer " + token(rsa)));
    assertThat(both.status()).isEqualTo(HttpStatus.OK);
    assertThat(principals.get(1).methods())
        .containsExactlyInAnyOrder(AuthnConfig.Method.API_KEY, AuthnConfig.Method.JWT);
  }

  @Test
  void aReloadSwapsAuthenticationWithTheRestOfTheConfiguration() throws Exception {
    String open = """
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - name: orders
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort());
    try (ProxyFixture p = ProxyFixture.start(dir, open)) {
      WebClient client = WebClient.of(p.http());
      assertThat(client.get("/echo").aggregate().join().status()).isEqualTo(HttpStatus.OK);

      ProxyFixture.write(p.configFile, """
          listen: 127.0.0.1:0
          findings: { file: off }
          authn:
            api_keys:
              keys: [{ name: app, sha256: %s, routes: ["*"] }]
          routes:
            - name: orders
              match: { prefix: / }
              cluster: u
              authn: { require: [api_key] }
          clusters:
            u: { endpoints: ["127.0.0.1:%d"] }
          """.formatted(sha256("app-key-0123456789"), upstream.httpPort()));

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
          client.get("/echo").aggregate().join().status()).isEqualTo(HttpStatus.UNAUTHORIZED));
      assertThat(client.execute(RequestHeaders.of(HttpMethod.GET, "/echo", "x-api-key",
          "app-key-0123456789")).aggregate().join().status()).isEqualTo(HttpStatus.OK);
    }
  }

  // ---- mTLS

  record Tls(TestPki.Issued serverCa, TestPki.Issued clientCa, Path dir) {}

  Tls tls() {
    TestPki.Issued serverCa = TestPki.ca("server-ca");
    TestPki.Issued server = TestPki.server(serverCa);
    server.writeCert(dir.resolve("server.pem"));
    server.writeKey(dir.resolve("server.key"));
    TestPki.Issued clientCa = TestPki.ca("client-ca");
    clientCa.writeCert(dir.resolve("clients-ca.pem"));
    return new Tls(serverCa, clientCa, dir);
  }

  String mtlsConfig() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("jwks.json"),
        new JWKSet(List.of(rsa.toPublicJWK())).toString());
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        tls:
          listen: 127.0.0.1:0
          cert: server.pem
          key: server.key
        authn:
          mtls: { trust_bundle: clients-ca.pem }
          jwt:
            issuer: %s
            audiences: [%s]
            jwks_file: jwks.json
        routes:
          - name: workload
            match: { prefix: /echo/workload }
            cluster: u
            authn: { require: [mtls] }
          - name: both
            match: { prefix: /echo/both }
            cluster: u
            authn: { require: [jwt, mtls] }
          - name: open
            match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(ISSUER, AUDIENCE, upstream.httpPort());
  }

  AggregatedHttpResponse getTls(CustosProxy proxy, Tls tls, TestPki.Issued clientCert,
      String path, Map<String, String> headers) {
    ClientFactory factory = ClientFactory.builder()
        .tlsCustomizer(b -> {
          b.trustManager(tls.serverCa().cert());
          if (clientCert != null) {
            b.keyManager(clientCert.key(), clientCert.cert());
          }
        })
        .build();
    closing.add(factory);
    com.linecorp.armeria.common.RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path);
    headers.forEach(h::add);
    return WebClient.builder("https://127.0.0.1:" + proxy.activeHttpsPort().orElseThrow())
        .factory(factory).build().execute(h.build()).aggregate().join();
  }

  @Test
  void aClientCertificateWithAUriSanIsTheVerifiedIdentity() throws Exception {
    Tls tls = tls();
    CustosProxy proxy = start(mtlsConfig());
    TestPki.Issued client = TestPki.client(tls.clientCa(), SPIFFE);

    AggregatedHttpResponse r = getTls(proxy, tls, client, "/echo/workload", Map.of());

    assertThat(r.status()).isEqualTo(HttpStatus.OK);
    assertThat(principals).hasSize(1);
    assertThat(principals.get(0).name()).isEqualTo(SPIFFE);
    assertThat(principals.get(0).identity().kind()).isEqualTo(Identity.Kind.MTLS);
    assertThat(principals.get(0).identity().verified()).isTrue();
  }

  @Test
  void noCertificateAnUntrustedOneOrACaCertificateIsRefused() throws Exception {
    Tls tls = tls();
    CustosProxy proxy = start(mtlsConfig());
    TestPki.Issued untrusted = TestPki.client(TestPki.ca("other-ca"), SPIFFE);
    TestPki.Issued caAsClient = TestPki.intermediateCa(tls.clientCa(), SPIFFE);

    assertThat(getTls(proxy, tls, null, "/echo/workload", Map.of()).status())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(getTls(proxy, tls, untrusted, "/echo/workload", Map.of()).status())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(getTls(proxy, tls, caAsClient, "/echo/workload", Map.of()).status())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(failures(proxy, "workload", "ca_cert")).isEqualTo(1);
    assertThat(principals).isEmpty();
    // A route without a requirement takes any client, certificate or not.
    assertThat(getTls(proxy, tls, untrusted, "/echo/open", Map.of()).status())
        .isEqualTo(HttpStatus.OK);
  }

  @Test
  void requiringJwtAndMtlsNeedsBoth() throws Exception {
    Tls tls = tls();
    CustosProxy proxy = start(mtlsConfig());
    TestPki.Issued client = TestPki.client(tls.clientCa(), SPIFFE);
    Map<String, String> jwt = bearer(token(rsa));

    assertThat(getTls(proxy, tls, client, "/echo/both", Map.of()).status())
        .isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(getTls(proxy, tls, null, "/echo/both", jwt).status())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(getTls(proxy, tls, client, "/echo/both", jwt).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(principals).hasSize(1);
    assertThat(principals.get(0).name()).isEqualTo("alice");
    assertThat(principals.get(0).methods())
        .containsExactlyInAnyOrder(AuthnConfig.Method.JWT, AuthnConfig.Method.MTLS);
  }
}
