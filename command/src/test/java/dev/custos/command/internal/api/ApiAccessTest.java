package dev.custos.command.internal.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.config.ConfigReader;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roles per API token and OIDC JWTs: a real API server (a read route, an admin route and
 * {@code /api/v1/whoami}) on an ephemeral port, driven by a real client; JWTs signed in the test
 * with generated EC and RSA keys whose JWKS another real server serves.
 */
class ApiAccessTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String READ_TOKEN = "read-token-0123456789";
  static final String ADMIN_TOKEN = "admin-token-0123456789";
  static final String ISSUER = "https://idp.test/realms/custos";
  static final String AUDIENCE = "custos-command";

  static ECKey ecKey;
  static RSAKey rsaKey;
  static ECKey impostor;
  static Server jwksServer;
  static final AtomicInteger jwksFetches = new AtomicInteger();
  static final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  @TempDir
  static Path dir;

  private static final List<Server> servers = new ArrayList<>();
  /** One server for most tests (each server takes seconds to stop). */
  private static WebClient shared;

  @BeforeAll
  static void keys() throws Exception {
    ecKey = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    rsaKey = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    // Same key id as the real key, another key: its signatures must not verify.
    impostor = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    String jwks = new JWKSet(List.of(ecKey.toPublicJWK(), rsaKey.toPublicJWK())).toString();
    jwksServer = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0)
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO).service("/jwks", (ctx, req) -> {
      jwksFetches.incrementAndGet();
      return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, jwks);
    }).build();
    jwksServer.start().join();
  }

  @AfterAll
  static void stopServers() {
    servers.forEach(Server::stop);
    jwksServer.stop().join();
  }

  static String sha256(String s) {
    return HexFormat.of().formatHex(ConfigReader.sha256(s.getBytes(StandardCharsets.UTF_8)));
  }

  /** Starts an API server with a read route, an admin route and whoami; returns its client. */
  static WebClient api(String oidcYaml) {
    CommandConfig config = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - { name: edge, sha256: %s }
        api_tokens:
          - { name: viewer, sha256: %s }
          - { name: operator, sha256: %s, role: admin }
        %s""".formatted(sha256("proxy"), sha256(READ_TOKEN), sha256(ADMIN_TOKEN), oidcYaml),
        "command.yaml", dir);
    ApiAccess access = ApiAccess.of(config, Clock.systemUTC(), metrics);
    ServerBuilder sb = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0)
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO);
    sb.route().get("/api/v1/test/read").decorator(access.require(Role.READ))
        .build((ctx, req) -> HttpResponse.of("read by " + ApiAccess.caller(ctx).name()));
    sb.route().post("/api/v1/test/admin").decorator(access.require(Role.ADMIN))
        .build((ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg ->
            HttpResponse.of("written by " + ApiAccess.caller(ctx).name() + ": "
                + agg.contentUtf8()))));
    ApiBasics.addTo(sb, access);
    Server server = sb.build();
    server.start().join();
    servers.add(server);
    return WebClient.of("http://127.0.0.1:" + server.activeLocalPort());
  }

  static synchronized WebClient apiWithRemoteJwks() {
    if (shared == null) {
      shared = api("""
        oidc:
          issuer: %s
          audience: %s
          jwks_url: http://127.0.0.1:%d/jwks
        """.formatted(ISSUER, AUDIENCE, jwksServer.activeLocalPort()));
    }
    return shared;
  }

  static AggregatedHttpResponse get(WebClient client, String path, String credential) {
    com.linecorp.armeria.common.RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path);
    if (credential != null) {
      h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + credential);
    }
    return client.execute(h.build()).aggregate().join();
  }

  static AggregatedHttpResponse post(WebClient client, String credential) {
    return client.execute(RequestHeaders.builder(HttpMethod.POST, "/api/v1/test/admin")
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + credential)
        .contentType(MediaType.PLAIN_TEXT_UTF_8).build(), com.linecorp.armeria.common.HttpData.ofUtf8("body")).aggregate().join();
  }

  static JWTClaimsSet.Builder claims() {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("alice")
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
        .claim("roles", List.of("custos-read"));
  }

  static String es256(ECKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
        .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  static String error(AggregatedHttpResponse r) throws Exception {
    return JSON.readTree(r.contentUtf8()).get("error").asText();
  }

  @Test
  void aReadTokenReadsButCannotWriteAndAnAdminTokenDoesBoth() throws Exception {
    WebClient client = apiWithRemoteJwks();

    assertThat(get(client, "/api/v1/test/read", READ_TOKEN).contentUtf8())
        .isEqualTo("read by viewer");
    AggregatedHttpResponse refused = post(client, READ_TOKEN);
    assertThat(refused.status()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(error(refused)).isEqualTo("role read may not do this (expected: admin)");
    AggregatedHttpResponse written = post(client, ADMIN_TOKEN);
    assertThat(written.status()).isEqualTo(HttpStatus.OK);
    assertThat(written.contentUtf8()).isEqualTo("written by operator: body");
    assertThat(get(client, "/api/v1/test/read", ADMIN_TOKEN).status()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void whoamiNamesTheTokenAndItsRole() throws Exception {
    WebClient client = apiWithRemoteJwks();

    assertThat(JSON.readTree(get(client, "/api/v1/whoami", READ_TOKEN).contentUtf8()))
        .isEqualTo(JSON.readTree("{\"name\":\"viewer\",\"role\":\"read\"}"));
    assertThat(JSON.readTree(get(client, "/api/v1/whoami", ADMIN_TOKEN).contentUtf8()))
        .isEqualTo(JSON.readTree("{\"name\":\"operator\",\"role\":\"admin\"}"));
  }

  @Test
  void noCredentialOrAnUnknownOneIs401WithAChallenge() throws Exception {
    WebClient client = apiWithRemoteJwks();

    for (String credential : new String[] {null, "nope", "a.b.c", "proxy"}) {
      AggregatedHttpResponse r = get(client, "/api/v1/whoami", credential);
      assertThat(r.status()).as(String.valueOf(credential)).isEqualTo(HttpStatus.UNAUTHORIZED);
      assertThat(r.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).startsWith("Bearer");
      assertThat(error(r)).startsWith("Authorization: ");
    }
  }

  @Test
  void aValidJwtWithTheReadRoleReadsButCannotWrite() throws Exception {
    WebClient client = apiWithRemoteJwks();
    String jwt = es256(ecKey, claims().build());

    assertThat(JSON.readTree(get(client, "/api/v1/whoami", jwt).contentUtf8()))
        .isEqualTo(JSON.readTree("{\"name\":\"alice\",\"role\":\"read\"}"));
    assertThat(post(client, jwt).status()).isEqualTo(HttpStatus.FORBIDDEN);
  }

  @Test
  void aValidRsaJwtWithTheAdminRoleWritesAndKeysAreCached() throws Exception {
    WebClient client = apiWithRemoteJwks();
    int fetchesBefore = jwksFetches.get();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID("rsa-1").build(), claims().subject("bob")
        .claim("roles", "other custos-admin").build());
    jwt.sign(new RSASSASigner(rsaKey));

    for (int i = 0; i < 3; i++) {
      AggregatedHttpResponse r = post(client, jwt.serialize());
      assertThat(r.status()).isEqualTo(HttpStatus.OK);
      assertThat(r.contentUtf8()).isEqualTo("written by bob: body");
    }
    assertThat(jwksFetches.get() - fetchesBefore).as("JWKS fetches (cached)")
        .isLessThanOrEqualTo(1);
  }

  @Test
  void anExpiredJwtIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    Instant past = Instant.now().minus(Duration.ofMinutes(10));
    String jwt = es256(ecKey, claims().issueTime(Date.from(past))
        .expirationTime(Date.from(past.plus(Duration.ofMinutes(5)))).build());

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", jwt);

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT expired");
  }

  @Test
  void aJwtExpiredWithinTheClockSkewIsAccepted() throws Exception {
    WebClient client = apiWithRemoteJwks();
    Instant past = Instant.now().minus(Duration.ofMinutes(5));
    String jwt = es256(ecKey, claims().issueTime(Date.from(past))
        .expirationTime(Date.from(Instant.now().minusSeconds(20))).build());

    assertThat(get(client, "/api/v1/whoami", jwt).status()).isEqualTo(HttpStatus.OK);
  }

  @Test
  void aJwtNotValidYetIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    String jwt = es256(ecKey, claims()
        .notBeforeTime(Date.from(Instant.now().plus(Duration.ofMinutes(3)))).build());

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", jwt);

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT not valid yet");
  }

  @Test
  void aJwtIssuedInTheFutureIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    Instant later = Instant.now().plus(Duration.ofMinutes(3));
    String jwt = es256(ecKey, claims().issueTime(Date.from(later))
        .expirationTime(Date.from(later.plus(Duration.ofMinutes(5)))).build());

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", jwt);

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT issued in the future");
  }

  @Test
  void aJwtOfAnotherIssuerIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    String jwt = es256(ecKey, claims().issuer("https://evil.test").build());

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", jwt);

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT issuer not accepted");
  }

  @Test
  void aJwtForAnotherAudienceIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    String jwt = es256(ecKey, claims().audience(List.of("billing", "crm")).build());

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", jwt);

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT audience not accepted");
  }

  @Test
  void aJwtWithABadSignatureIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    String forged = es256(impostor, claims().claim("roles", List.of("custos-admin")).build());
    String[] good = es256(ecKey, claims().build()).split("\\.");
    String[] evil = forged.split("\\.");
    String swapped = good[0] + "." + evil[1] + "." + good[2];

    for (String jwt : List.of(forged, swapped)) {
      AggregatedHttpResponse r = post(client, jwt);
      assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
      assertThat(error(r)).startsWith("Authorization: JWT signature invalid");
    }
  }

  @Test
  void anUnsignedJwtIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    String jwt = new PlainJWT(claims().claim("roles", List.of("custos-admin")).build())
        .serialize();

    AggregatedHttpResponse r = post(client, jwt);

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT not signed, alg none");
  }

  @Test
  void anHmacJwtKeyedWithThePublicKeyIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1")
        .build(), claims().claim("roles", List.of("custos-admin")).build());
    jwt.sign(new MACSigner(rsaKey.toPublicJWK().toRSAPublicKey().getEncoded()));

    AggregatedHttpResponse r = post(client, jwt.serialize());

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT algorithm HS256 not accepted");
  }

  @Test
  void aValidJwtWithoutARoleIs403() throws Exception {
    WebClient client = apiWithRemoteJwks();
    JWTClaimsSet noRoles = new JWTClaimsSet.Builder(claims().build()).claim("roles", null)
        .build();
    String otherRoles = es256(ecKey, claims().claim("roles", List.of("billing")).build());

    for (String jwt : List.of(es256(ecKey, noRoles), otherRoles)) {
      AggregatedHttpResponse r = get(client, "/api/v1/whoami", jwt);
      assertThat(r.status()).isEqualTo(HttpStatus.FORBIDDEN);
      assertThat(error(r)).startsWith("JWT grants no role of this API");
    }
  }

  @Test
  void aJwtWithoutItsNameClaimIs401() throws Exception {
    WebClient client = apiWithRemoteJwks();
    JWTClaimsSet noSubject = new JWTClaimsSet.Builder(claims().build()).subject(null).build();

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", es256(ecKey, noSubject));

    assertThat(r.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(error(r)).startsWith("Authorization: JWT claim sub missing");
  }

  @Test
  void keysFromAFileNestedRolesAndAnotherNameClaimWork() throws Exception {
    Files.writeString(dir.resolve("jwks.json"), new JWKSet(ecKey.toPublicJWK()).toString());
    WebClient client = api("""
        oidc:
          issuer: %s
          audience: [other, %s]
          jwks_file: jwks.json
          roles_claim: realm_access.roles
          name_claim: preferred_username
          admin_roles: [ops]
        """.formatted(ISSUER, AUDIENCE));
    String jwt = es256(ecKey, claims().claim("preferred_username", "carol")
        .claim("realm_access", Map.of("roles", List.of("ops"))).build());

    assertThat(JSON.readTree(get(client, "/api/v1/whoami", jwt).contentUtf8()))
        .isEqualTo(JSON.readTree("{\"name\":\"carol\",\"role\":\"admin\"}"));
    assertThat(get(client, "/api/v1/whoami", es256(ecKey, claims()
        .claim("preferred_username", "carol").build())).status())
        .as("roles at the top level are not the configured claim").isEqualTo(HttpStatus.FORBIDDEN);
  }

  @Test
  void unreachableKeysAre503() throws Exception {
    Server closed = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
        .service("/", (ctx, req) -> HttpResponse.of(200)).build();
    closed.start().join();
    int port = closed.activeLocalPort();
    closed.stop().join();
    WebClient client = api("""
        oidc:
          issuer: %s
          audience: %s
          jwks_url: http://127.0.0.1:%d/jwks
        """.formatted(ISSUER, AUDIENCE, port));

    AggregatedHttpResponse r = get(client, "/api/v1/whoami", es256(ecKey, claims().build()));

    assertThat(r.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    JsonNode body = JSON.readTree(r.contentUtf8());
    assertThat(body.get("error").asText()).contains("JWKS cannot be fetched");
    // An api token still works while the issuer is away.
    assertThat(get(client, "/api/v1/whoami", READ_TOKEN).status()).isEqualTo(HttpStatus.OK);
  }

  static double counted(String result) {
    return metrics.get("custos_command_api_access").tag("result", result).counter().count();
  }

  @Test
  void everyDecisionIsCountedByResult() throws Exception {
    WebClient client = apiWithRemoteJwks();
    Map<String, Double> before = new java.util.TreeMap<>();
    for (String r : List.of("token", "jwt", "unauthorized", "forbidden")) {
      before.put(r, counted(r));
    }

    get(client, "/api/v1/whoami", READ_TOKEN);
    get(client, "/api/v1/whoami", es256(ecKey, claims().build()));
    get(client, "/api/v1/whoami", "nope");
    post(client, READ_TOKEN);

    for (String r : before.keySet()) {
      assertThat(counted(r) - before.get(r)).as(r).isEqualTo(1.0);
    }
  }
}
