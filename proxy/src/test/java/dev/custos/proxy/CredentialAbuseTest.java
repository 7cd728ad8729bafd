package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 9 (NIST SP 800-204 MS-SS-11): failed authentications are counted per client IP
 * and per claimed identity; past the limit the source gets 429 with Retry-After, even with a
 * valid credential, while other sources are unaffected.
 */
class CredentialAbuseTest {
  static final String KEY = "valid-key-0123456789";
  static final byte[] SECRET = "an-hmac-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension
  static final Upstream upstream = new Upstream("u");

  @TempDir
  Path dir;

  CustosProxy proxy;
  WebClient client;

  @BeforeEach
  void start() throws Exception {
    Files.write(dir.resolve("hmac.secret"), SECRET);
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(KEY.getBytes(StandardCharsets.UTF_8)));
    // The test client's peer is 127.0.0.1, a trusted proxy: X-Forwarded-For names the client.
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        findings: { file: off }
        trusted_proxies: [127.0.0.1]
        authn:
          api_keys:
            keys: [{ name: app, sha256: %s, routes: ["*"] }]
          jwt:
            issuer: https://issuer.test
            audiences: [api]
            secret_file: hmac.secret
            algorithms: [HS256]
          abuse: { max_failures: 3, window: 1m, block_for: 2m }
        routes:
          - name: keys
            match: { prefix: /echo/keys }
            cluster: u
            authn: { require: [api_key] }
          - name: tokens
            match: { prefix: /echo/tokens }
            cluster: u
            authn: { require: [jwt] }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(hash, upstream.httpPort()));
    proxy = CustosProxy.builder(ProxyConfig.load(file)).watch(false).build().start();
    client = WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort());
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  AggregatedHttpResponse send(String path, String clientIp, Map<String, String> headers) {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path)
        .add("x-forwarded-for", clientIp);
    headers.forEach(h::add);
    return client.execute(h.build()).aggregate().join();
  }

  static String token(String subject, byte[] secret) throws Exception {
    Instant now = Instant.now();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .issuer("https://issuer.test").audience("api").subject(subject)
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  double counter(String name, String... tags) {
    Counter c = proxy.meterRegistry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void anIpWithTooManyFailuresIsThrottledEvenWithAValidKeyWhileAnotherIpIsNot() {
    for (int i = 0; i < 3; i++) {
      assertThat(send("/echo/keys", "203.0.113.7", Map.of("x-api-key", "guess-" + i)).status())
          .isEqualTo(HttpStatus.UNAUTHORIZED);
    }

    AggregatedHttpResponse throttled = send("/echo/keys", "203.0.113.7", Map.of("x-api-key", KEY));

    assertThat(throttled.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    long retryAfter = Long.parseLong(throttled.headers().get("retry-after"));
    assertThat(retryAfter).isBetween(1L, Duration.ofMinutes(2).toSeconds());
    assertThat(throttled.contentUtf8()).doesNotContain(KEY);
    // Credentials are not even evaluated while throttled: no further failure is counted.
    assertThat(send("/echo/keys", "203.0.113.7", Map.of("x-api-key", "guess-9")).status())
        .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(counter("custos.authn.failures", "route", "keys", "reason", "unknown_api_key"))
        .isEqualTo(3);
    assertThat(counter("custos.authn.throttled", "route", "keys")).isEqualTo(2);

    assertThat(send("/echo/keys", "198.51.100.9", Map.of("x-api-key", KEY)).status())
        .isEqualTo(HttpStatus.OK);
    // The throttle holds for the source on every route.
    assertThat(send("/echo/tokens", "203.0.113.7", Map.of()).status())
        .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
  }

  @Test
  void failuresForOneClaimedIdentityFromManyIpsThrottleThatIdentityOnly() throws Exception {
    byte[] wrong = "not-the-secret-but-also-32-bytes-long!!".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 3; i++) {
      assertThat(send("/echo/tokens", "192.0.2." + (10 + i),
          Map.of("authorization", "Bearer " + token("mallory", wrong))).status())
          .isEqualTo(HttpStatus.UNAUTHORIZED);
    }

    assertThat(send("/echo/tokens", "192.0.2.99",
        Map.of("authorization", "Bearer " + token("mallory", SECRET))).status())
        .isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(send("/echo/tokens", "192.0.2.99",
        Map.of("authorization", "Bearer " + token("alice", SECRET))).status())
        .isEqualTo(HttpStatus.OK);
    assertThat(counter("custos.authn.failures", "route", "tokens", "reason", "bad_signature"))
        .isEqualTo(3);
  }

  @Test
  void missingCredentialsAreRefusedButDoNotThrottle() {
    for (int i = 0; i < 5; i++) {
      assertThat(send("/echo/keys", "203.0.113.8", Map.of()).status())
          .isEqualTo(HttpStatus.UNAUTHORIZED);
    }

    assertThat(send("/echo/keys", "203.0.113.8", Map.of("x-api-key", KEY)).status())
        .isEqualTo(HttpStatus.OK);
  }
}
