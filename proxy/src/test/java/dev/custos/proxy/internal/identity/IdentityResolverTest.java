package dev.custos.proxy.internal.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.IdentitySource;
import dev.custos.proxy.Identity;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentityResolverTest {
  private static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  private static final InetAddress PEER = address("198.51.100.20");
  private static final InetAddress PROXY = address("10.0.0.5");

  private static InetAddress address(String ip) {
    return io.netty.util.NetUtil.createInetAddressFromIpAddressString(ip);
  }

  private static String token(String subject) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader(JWSAlgorithm.HS256),
            new JWTClaimsSet.Builder().subject(subject).claim("tenant", "acme").build());
    jwt.sign(new MACSigner(new byte[32]));
    return jwt.serialize();
  }

  private static RequestHeaders headers(String... nameValues) {
    return RequestHeaders.of(HttpMethod.GET, "/").toBuilder().add(pairs(nameValues)).build();
  }

  private static Iterable<java.util.Map.Entry<io.netty.util.AsciiString, String>> pairs(String... nv) {
    List<java.util.Map.Entry<io.netty.util.AsciiString, String>> out = new java.util.ArrayList<>();
    for (int i = 0; i < nv.length; i += 2) {
      out.add(java.util.Map.entry(io.netty.util.AsciiString.of(nv[i]), nv[i + 1]));
    }
    return out;
  }

  private static IdentityResolver resolver(IdentitySource... sources) {
    return new IdentityResolver(List.of(sources), KEY);
  }

  @Test
  void jwtSubjectIsTheIdentityAndOnlyItsHashIsShown() throws Exception {
    IdentityResolver r = resolver(IdentitySource.jwt(), IdentitySource.clientIp());

    Identity alice = r.resolve(headers("authorization", "Bearer " + token("alice@example.com")), PEER);

    assertThat(alice.kind()).isEqualTo(Identity.Kind.JWT);
    assertThat(alice.verified()).isFalse();
    assertThat(alice.key()).matches("jwt:[0-9a-f]{16}");
    assertThat(alice.toString()).doesNotContain("alice");
    assertThat(r.resolve(headers("authorization", "bearer " + token("alice@example.com")), PEER))
        .isEqualTo(alice);
    assertThat(r.resolve(headers("authorization", "Bearer " + token("bob")), PEER).key())
        .isNotEqualTo(alice.key());
  }

  @Test
  void otherClaimsCanNameTheCaller() throws Exception {
    IdentityResolver byTenant = resolver(IdentitySource.jwt("Authorization", "tenant"));
    IdentityResolver bySubject = resolver(IdentitySource.jwt());

    Identity tenant = byTenant.resolve(headers("authorization", token("alice")), PEER);
    assertThat(tenant.kind()).isEqualTo(Identity.Kind.JWT);
    assertThat(tenant.key()).isNotEqualTo(bySubject.resolve(headers("authorization", token("alice")), PEER).key());
  }

  @Test
  void unreadableTokenOrMissingClaimFallsThroughToTheNextSource() throws Exception {
    IdentityResolver r =
        resolver(IdentitySource.jwt("Authorization", "missing"), IdentitySource.header("X-Api-Key"));

    assertThat(r.resolve(headers("authorization", token("alice"), "x-api-key", "k-123"), PEER).kind())
        .isEqualTo(Identity.Kind.HEADER);
    assertThat(r.resolve(headers("authorization", "Bearer not.a.jwt", "x-api-key", "k-123"), PEER).kind())
        .isEqualTo(Identity.Kind.HEADER);
  }

  @Test
  void apiKeyIsHashedAndNeverKept() {
    IdentityResolver r = resolver(IdentitySource.header("X-Api-Key"));

    Identity id = r.resolve(headers("x-api-key", "sk_live_canary_4f9a"), PEER);

    assertThat(id.kind()).isEqualTo(Identity.Kind.HEADER);
    assertThat(id.key()).doesNotContain("canary");
    assertThat(id.toString()).doesNotContain("canary");
    assertThat(r.toString()).doesNotContain("canary");
  }

  @Test
  void noSourceYieldingMeansAnonymous() {
    IdentityResolver r = resolver(IdentitySource.jwt(), IdentitySource.header("X-Api-Key"));

    assertThat(r.resolve(headers(), PEER)).isEqualTo(Identity.ANONYMOUS);
    assertThat(r.resolve(headers("x-api-key", "  "), PEER)).isEqualTo(Identity.ANONYMOUS);
  }

  @Test
  void clientIpIsThePeerUnlessThePeerIsATrustedProxy() {
    IdentitySource trusting = IdentitySource.clientIp(List.of("10.0.0.0/8"));
    RequestHeaders forwarded = headers("x-forwarded-for", "203.0.113.7, 10.0.0.9");

    assertThat(IdentityResolver.clientAddress(forwarded, PROXY, a -> a.getAddress()[0] == 10))
        .isEqualTo("203.0.113.7");
    assertThat(IdentityResolver.clientAddress(forwarded, PEER, a -> a.getAddress()[0] == 10))
        .isEqualTo("198.51.100.20");
    assertThat(resolver(trusting).resolve(forwarded, PROXY))
        .isEqualTo(resolver(IdentitySource.clientIp()).resolve(headers(), address("203.0.113.7")));
  }

  @Test
  void forwardedChainStopsAtSomethingThatIsNotAnAddress() {
    RequestHeaders forwarded = headers("x-forwarded-for", "203.0.113.7, evil.example, 10.0.0.9");

    assertThat(IdentityResolver.clientAddress(forwarded, PROXY, a -> a.getAddress()[0] == 10))
        .isEqualTo("10.0.0.9");
  }

  @Test
  void everyForwardedHopTrustedMeansTheFarthestOne() {
    RequestHeaders forwarded = headers("x-forwarded-for", "10.1.1.1", "x-forwarded-for", "10.2.2.2");

    assertThat(IdentityResolver.clientAddress(forwarded, PROXY, a -> a.getAddress()[0] == 10))
        .isEqualTo("10.1.1.1");
  }
}
